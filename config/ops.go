package config

import (
	"errors"
	"net/url"
	"strings"

	"github.com/heleket-payouts/payouts/codec"
)

func (c Config) checkOps() error {
	if _, err := c.Codec(); err != nil {
		return err
	}
	if c.TemporalUIURL != "" {
		if u, err := url.Parse(c.TemporalUIURL); err != nil || u.Scheme == "" || u.Host == "" {
			return errors.New("TEMPORAL_UI_URL: must be an absolute URL")
		}
	}
	if c.CodecToken != "" && len(c.CodecToken) < 16 {
		return errors.New("CODEC_TOKEN: must be at least 16 characters")
	}
	return nil
}

// UIURL is the Temporal UI's base URL as operators open it, for links.
func (c Config) UIURL() string {
	if c.TemporalUIURL != "" {
		return strings.TrimRight(c.TemporalUIURL, "/")
	}
	return "http://" + c.TemporalUIAddr
}

// Codec returns the payload codec, or nil when PAYLOAD_KEYS is empty
// (payloads are then stored in plain text).
func (c Config) Codec() (*codec.Codec, error) {
	if strings.TrimSpace(c.PayloadKeys) == "" {
		if c.PayloadKeyID != "" {
			return nil, errors.New("PAYLOAD_KEY_ID is set but PAYLOAD_KEYS is empty")
		}
		return nil, nil
	}
	return codec.New(c.PayloadKeys, c.PayloadKeyID)
}

// CodecOrigins are the browser origins the codec endpoint allows: the
// configured list, or the Temporal UI's origin. A loopback UI is allowed
// under both 127.0.0.1 and localhost, whichever the operator types.
func (c Config) CodecOrigins() []string {
	if c.CodecCORSOrigins != "" {
		var out []string
		for _, o := range strings.Split(c.CodecCORSOrigins, ",") {
			if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
				out = append(out, o)
			}
		}
		return out
	}
	u, err := url.Parse(c.UIURL())
	if err != nil || u.Host == "" {
		return nil
	}
	origins := []string{u.Scheme + "://" + u.Host}
	switch u.Hostname() {
	case "127.0.0.1":
		origins = append(origins, u.Scheme+"://localhost"+portSuffix(u))
	case "localhost":
		origins = append(origins, u.Scheme+"://127.0.0.1"+portSuffix(u))
	}
	return origins
}

func portSuffix(u *url.URL) string {
	if p := u.Port(); p != "" {
		return ":" + p
	}
	return ""
}

// Secrets are the configured values no log line may contain.
func (c Config) Secrets() []string {
	s := []string{c.HeleketAPIKey, c.HeleketWebhookSecret, c.CodecToken}
	if tokens, err := ParseAdminTokens(c.AdminTokens); err == nil {
		for _, t := range tokens {
			s = append(s, t.Token)
		}
	}
	for _, entry := range strings.Split(c.PayloadKeys, ",") {
		if _, key, ok := strings.Cut(entry, ":"); ok {
			s = append(s, strings.TrimSpace(key))
		}
	}
	if u, err := url.Parse(c.DatabaseURL); err == nil {
		if pw, ok := u.User.Password(); ok {
			s = append(s, pw)
		}
	}
	if u, err := url.Parse(c.AlertWebhookURL); err == nil && c.AlertWebhookURL != "" {
		s = append(s, u.Path, u.RawQuery)
	}
	return s
}
