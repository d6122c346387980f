package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body
// under the webhook's secret; a receiver recomputes it over the raw body
// and compares in constant time.
const SignatureHeader = "X-Linewise-Signature"

// WebhookBody is what a webhook receives.
type WebhookBody struct {
	ID       string            `json:"id"` // the delivery's id: the same on every retry
	Kind     string            `json:"kind"`
	Severity string            `json:"severity"`
	Title    string            `json:"title"`
	TitleKey string            `json:"title_key,omitempty"`
	Vars     map[string]string `json:"vars,omitempty"`
	Body     string            `json:"body,omitempty"`
	Line     string            `json:"line,omitempty"`
	Link     string            `json:"link,omitempty"`
	At       time.Time         `json:"at"`
	// EnclosedText and Files are what the notice carries (Enclosure),
	// e.g. a stored report's summary, its JSON and its workbook.
	EnclosedText string        `json:"enclosed_text,omitempty"`
	Files        []WebhookFile `json:"files,omitempty"`
}

// Sign is the header value for body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// sendWebhook posts the notice; a 2xx answer is delivered, anything else
// (or no answer) is retried.
func (s *Service) sendWebhook(ctx context.Context, d Delivery) (string, error) {
	var w *WebhookConfig
	for i := range s.cfg.Webhooks {
		if s.cfg.Webhooks[i].Name == d.Target.To {
			w = &s.cfg.Webhooks[i]
		}
	}
	if w == nil {
		return "", fmt.Errorf("webhook %q is no longer configured", d.Target.To)
	}
	n := d.Notice
	enc, err := s.enclosure(ctx, n)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(WebhookBody{ID: d.ID, Kind: n.Kind, Severity: n.Severity, Title: n.Title, TitleKey: n.TitleKey,
		Vars: n.Vars, Body: n.Body, Line: n.Line, Link: s.link(n), At: n.At.UTC(), EnclosedText: enc.Text, Files: webhookFiles(enc.Files)})
	if err != nil {
		return "", err
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "linewise-notify")
	req.Header.Set("X-Linewise-Delivery", d.ID)
	req.Header.Set(SignatureHeader, Sign(s.secrets[w.Name], body))
	resp, err := s.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("webhook %s: %w", w.Name, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", fmt.Errorf("webhook %s: HTTP %s", w.Name, resp.Status)
	}
	return "HTTP " + resp.Status, nil
}
