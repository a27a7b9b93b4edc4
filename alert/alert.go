// Package alert posts operational alerts (orphan, stuck and failed payouts)
// to an internal chat channel through an incoming webhook. The message has
// Slack's "text" field, so Slack, Mattermost and most chat relays render it,
// plus structured fields for machines. It never carries wallet addresses.
package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// DefaultTimeout bounds one post: an alert must never hold up the work that
// raised it for long.
const DefaultTimeout = 5 * time.Second

// Message is one alert.
type Message struct {
	Text     string         `json:"text"` // what Slack-compatible receivers show
	Kind     string         `json:"kind"` // e.g. "orphan", "stuck", "payout_failed"
	OrderID  string         `json:"order_id"`
	PayoutID string         `json:"payout_id,omitempty"`
	RunID    string         `json:"run_id,omitempty"`
	Reason   string         `json:"reason,omitempty"`
	Ours     map[string]any `json:"ours,omitempty"`
	Theirs   map[string]any `json:"theirs,omitempty"`
	At       time.Time      `json:"at"`
}

// Poster posts messages to a webhook URL. Safe for concurrent use.
type Poster struct {
	url string
	hc  *http.Client
}

// New returns a poster for rawURL, or nil when rawURL is empty: alerts are
// then off, and a nil *Poster accepts messages and drops them.
func New(rawURL string, timeout time.Duration) (*Poster, error) {
	if rawURL == "" {
		return nil, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL usually embeds a secret token: never echo it.
		return nil, errors.New("alert: webhook URL must be an absolute http(s) URL")
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Poster{url: rawURL, hc: &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// Enabled reports whether alerts are sent at all.
func (p *Poster) Enabled() bool { return p != nil }

// Post sends one message; any non-2xx answer is an error.
func (p *Poster) Post(ctx context.Context, m Message) error {
	if p == nil {
		return nil
	}
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("alert %s %s: encode: %w", m.Kind, m.OrderID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("alert %s %s: build request: %w", m.Kind, m.OrderID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.hc.Do(req)
	if err != nil {
		return fmt.Errorf("alert %s %s: post: %w", m.Kind, m.OrderID, unwrapURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("alert %s %s: webhook answered HTTP %d", m.Kind, m.OrderID, resp.StatusCode)
	}
	return nil
}

// unwrapURL drops *url.Error's copy of the URL, which holds the token.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
