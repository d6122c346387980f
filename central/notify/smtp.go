package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// sendMail sends one notice to one address over SMTP (net/smtp), with
// STARTTLS as configured; it returns the server's last reply.
func (s *Service) sendMail(ctx context.Context, d Delivery) (string, error) {
	c := s.cfg.SMTP
	if c.Host == "" {
		return "", errors.New("notify.smtp.host is not set")
	}
	enc, err := s.enclosure(ctx, d.Notice)
	if err != nil {
		return "", err
	}
	msg, err := s.message(d, enc)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	cl, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		conn.Close()
		return "", fmt.Errorf("smtp %s: %w", addr, err)
	}
	defer cl.Close()
	if err := cl.Hello("linewise"); err != nil {
		return "", fmt.Errorf("smtp %s: EHLO: %w", addr, err)
	}
	if c.StartTLS != "off" {
		if ok, _ := cl.Extension("STARTTLS"); ok {
			if err := cl.StartTLS(&tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}); err != nil {
				return "", fmt.Errorf("smtp %s: STARTTLS: %w", addr, err)
			}
		} else if c.StartTLS == "required" {
			return "", fmt.Errorf("smtp %s: the server offers no STARTTLS (notify.smtp.starttls is required)", addr)
		}
	}
	if c.Username != "" {
		// PlainAuth itself refuses to send the password in clear to
		// anything but localhost.
		if err := cl.Auth(smtp.PlainAuth("", c.Username, s.smtpPW, c.Host)); err != nil {
			return "", fmt.Errorf("smtp %s: AUTH: %w", addr, err)
		}
	}
	from, _ := mail.ParseAddress(c.From)
	if err := cl.Mail(from.Address); err != nil {
		return "", fmt.Errorf("smtp %s: MAIL FROM: %w", addr, err)
	}
	if err := cl.Rcpt(d.Target.To); err != nil {
		return "", fmt.Errorf("smtp %s: RCPT TO %s: %w", addr, d.Target.To, err)
	}
	w, err := cl.Data()
	if err != nil {
		return "", fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	if _, err := w.Write(msg); err != nil {
		return "", fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("smtp %s: end of DATA: %w", addr, err)
	}
	_ = cl.Quit()
	return "250 accepted by " + addr, nil
}

// message is the e-mail: UTF-8 plain text, quoted-printable, the subject
// encoded so no title can add a header; with enclosed files a
// multipart/mixed message with the text first and the files attached.
func (s *Service) message(d Delivery, enc Enclosure) ([]byte, error) {
	to, err := mail.ParseAddress(d.Target.To)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", d.Target.To, err)
	}
	from, err := mail.ParseAddress(s.cfg.SMTP.From)
	if err != nil {
		return nil, fmt.Errorf("notify.smtp.from: %w", err)
	}
	n := d.Notice
	subject := "[linewise] " + n.Title
	if n.Line != "" {
		subject = "[linewise " + n.Line + "] " + n.Title
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", n.At.Format(time.RFC1123Z))
	h("Message-ID", "<"+hex.EncodeToString(id[:])+"@linewise>")
	h("MIME-Version", "1.0")
	h("X-Linewise-Kind", n.Kind)
	var text strings.Builder
	text.WriteString(n.Title + "\n")
	if n.Body != "" {
		text.WriteString("\n" + n.Body + "\n")
	}
	if enc.Text != "" {
		text.WriteString("\n" + enc.Text + "\n")
	}
	text.WriteString("\n")
	if n.Line != "" {
		text.WriteString("Line: " + n.Line + "\n")
	}
	text.WriteString("Severity: " + n.Severity + "\n")
	text.WriteString("When: " + n.At.UTC().Format(time.RFC3339) + "\n")
	if l := s.link(n); l != "" {
		text.WriteString("Open: " + l + "\n")
	}
	var body bytes.Buffer
	hs, err := writeParts(&body, text.String(), enc.Files)
	if err != nil {
		return nil, err
	}
	for _, kv := range hs {
		h(kv[0], kv[1])
	}
	b.WriteString("\r\n")
	b.Write(body.Bytes())
	return b.Bytes(), nil
}
