package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
)

// Enclosure is what a notice's deliveries carry besides its own text,
// read when a delivery is sent (Options.Enclose) and never stored with
// the notice: a stored report's summary and files, say. An e-mail gets
// Text after the notice's body and each file attached; a webhook gets
// Text in "enclosed_text" and the files in "files" (JSON files inline
// under "content", others base64).
type Enclosure struct {
	Text  string
	Files []File
}

// File is one enclosed file.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// WebhookFile is an enclosed file in a webhook's body.
type WebhookFile struct {
	Name        string          `json:"name"`
	ContentType string          `json:"content_type"`
	Content     json.RawMessage `json:"content,omitempty"` // a JSON file, as is
	Base64      string          `json:"base64,omitempty"`  // any other file
}

// enclosure asks Options.Enclose for what the notice carries; an error
// fails the delivery, which is retried.
func (s *Service) enclosure(ctx context.Context, n Notice) (Enclosure, error) {
	if s.enclose == nil {
		return Enclosure{}, nil
	}
	e, err := s.enclose(ctx, n)
	if err != nil {
		return Enclosure{}, fmt.Errorf("enclosure of %s: %w", n.Kind, err)
	}
	return e, nil
}

func webhookFiles(fs []File) []WebhookFile {
	var out []WebhookFile
	for _, f := range fs {
		w := WebhookFile{Name: f.Name, ContentType: f.ContentType}
		if strings.HasPrefix(f.ContentType, "application/json") && json.Valid(f.Data) {
			w.Content = f.Data
		} else {
			w.Base64 = base64.StdEncoding.EncodeToString(f.Data)
		}
		out = append(out, w)
	}
	return out
}

// writeParts writes the e-mail's text and, when files are enclosed, a
// multipart/mixed body with the text first and each file attached; it
// returns the Content-Type and Content-Transfer-Encoding headers to use.
func writeParts(b *bytes.Buffer, text string, files []File) (headers [][2]string, err error) {
	text = strings.ReplaceAll(text, "\n", "\r\n")
	if len(files) == 0 {
		qp := quotedprintable.NewWriter(b)
		if _, err := qp.Write([]byte(text)); err != nil {
			return nil, err
		}
		return [][2]string{{"Content-Type", "text/plain; charset=UTF-8"}, {"Content-Transfer-Encoding", "quoted-printable"}}, qp.Close()
	}
	mw := multipart.NewWriter(b)
	tp, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=UTF-8"}, "Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return nil, err
	}
	qp := quotedprintable.NewWriter(tp)
	if _, err := qp.Write([]byte(text)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	for _, f := range files {
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		name := mime.QEncoding.Encode("utf-8", f.Name)
		fp, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {ct + `; name="` + name + `"`},
			"Content-Disposition": {`attachment; filename="` + name + `"`}, "Content-Transfer-Encoding": {"base64"}})
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(f.Data)
		for len(enc) > 76 {
			if _, err := fp.Write([]byte(enc[:76] + "\r\n")); err != nil {
				return nil, err
			}
			enc = enc[76:]
		}
		if _, err := fp.Write([]byte(enc + "\r\n")); err != nil {
			return nil, err
		}
	}
	return [][2]string{{"Content-Type", `multipart/mixed; boundary="` + mw.Boundary() + `"`}}, mw.Close()
}
