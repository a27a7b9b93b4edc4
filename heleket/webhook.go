package heleket

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

var (
	// ErrBadSignature matches every webhook that failed authentication:
	// missing, duplicated or wrong sign, a wrong relay HMAC, and also a body
	// too malformed to be checked at all.
	ErrBadSignature = errors.New("heleket: bad webhook signature")
	// ErrMalformedWebhook matches a body that is not a JSON object, or whose
	// authenticated payload does not decode into Webhook. A body that cannot
	// even be parsed matches ErrBadSignature too (it was not authenticated);
	// test ErrMalformedWebhook first to tell the two apart.
	ErrMalformedWebhook = errors.New("heleket: malformed webhook")
)

// webhookError carries a reason for logs while matching one or more
// sentinels with errors.Is.
type webhookError struct {
	reason string
	kinds  []error
	err    error
}

func (e *webhookError) Error() string {
	if e.err != nil {
		return "heleket webhook: " + e.reason + ": " + e.err.Error()
	}
	return "heleket webhook: " + e.reason
}

func (e *webhookError) Is(target error) bool {
	for _, k := range e.kinds {
		if k == target {
			return true
		}
	}
	return false
}

func (e *webhookError) Unwrap() error { return e.err }

func badSig(reason string) error {
	return &webhookError{reason: reason, kinds: []error{ErrBadSignature}}
}

func malformed(reason string) error {
	return &webhookError{reason: reason, kinds: []error{ErrMalformedWebhook, ErrBadSignature}}
}

// VerifyWebhook authenticates a webhook body exactly as received and decodes
// it. The sign is checked two ways, per the contract: over the raw bytes with
// the sign member cut out (works for bodies exactly as Heleket encoded them),
// then over a PHP-style re-encoding (works for bodies a proxy re-serialised
// with other whitespace or escaping, as long as it kept the key order).
func VerifyWebhook(raw []byte, apiKey string) (Webhook, error) {
	if apiKey == "" {
		// An empty key would make every signature forgeable.
		return Webhook{}, errors.New("heleket webhook: verification needs the payout API key")
	}
	stripped, sign, err := stripSign(raw)
	if err != nil {
		return Webhook{}, err
	}
	if !webhookSignMatches(stripped, sign, apiKey) {
		return Webhook{}, badSig("signature mismatch")
	}
	var w Webhook
	if err := json.Unmarshal(raw, &w); err != nil {
		return Webhook{}, &webhookError{reason: "authenticated payload does not decode", kinds: []error{ErrMalformedWebhook}, err: err}
	}
	return w, nil
}

func webhookSignMatches(stripped []byte, sign, apiKey string) bool {
	_, ok := signedPayload(stripped, sign, apiKey)
	return ok
}

// signedPayload returns the bytes sign authenticates: the stripped body as
// received, or its PHP re-encoding.
func signedPayload(stripped []byte, sign, apiKey string) ([]byte, bool) {
	got := []byte(strings.ToLower(sign))
	if subtle.ConstantTimeCompare([]byte(SignWebhook(stripped, apiKey)), got) == 1 {
		return stripped, true
	}
	reencoded, err := EncodePHPJSON(stripped)
	if err != nil {
		return nil, false
	}
	return reencoded, subtle.ConstantTimeCompare([]byte(SignWebhook(reencoded, apiKey)), got) == 1
}

// SignWebhook computes the sign of a webhook payload that is already encoded
// the way PHP's json_encode($d, JSON_UNESCAPED_UNICODE) does and carries no
// sign member (see EncodePHPJSON).
func SignWebhook(payloadWithoutSign []byte, apiKey string) string {
	return Sign(payloadWithoutSign, apiKey)
}

// RelaySignature is the X-Heleket-Signature value for a body: lowercase hex
// HMAC-SHA256 keyed with secret over the raw bytes.
func RelaySignature(raw []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	_, _ = mac.Write(raw) // hash writes never fail
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifyRelaySignature is the optional extra check for deployments where a
// relay adds X-Heleket-Signature; Heleket itself does not send it, so it
// complements VerifyWebhook and never replaces it.
func VerifyRelaySignature(raw []byte, header, secret string) error {
	if secret == "" {
		return errors.New("heleket webhook: relay signature check needs a secret")
	}
	h := strings.TrimSpace(header)
	if h == "" {
		return badSig("missing X-Heleket-Signature")
	}
	got, err := hex.DecodeString(h)
	if err != nil || len(got) != sha256.Size {
		return badSig("malformed X-Heleket-Signature")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	_, _ = mac.Write(raw)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return badSig("X-Heleket-Signature mismatch")
	}
	return nil
}

// stripSign removes the top-level "sign" member from raw, leaving every other
// byte untouched, and returns its value. The separating comma goes with it:
// the one after it when another member follows, else the one before it.
func stripSign(raw []byte) ([]byte, string, error) {
	if !json.Valid(raw) {
		return nil, "", malformed("body is not valid JSON")
	}
	members, err := scanObject(raw)
	if err != nil {
		return nil, "", err
	}
	idx := -1
	for i, m := range members {
		if m.key != "sign" {
			continue
		}
		if idx >= 0 {
			// Which one counts would depend on the parser; refuse to guess.
			return nil, "", badSig("duplicate sign member")
		}
		idx = i
	}
	if idx < 0 {
		return nil, "", badSig("missing sign")
	}
	var sign string
	if err := json.Unmarshal(raw[members[idx].valStart:members[idx].valEnd], &sign); err != nil {
		return nil, "", badSig("sign is not a string")
	}
	if sign == "" {
		return nil, "", badSig("empty sign")
	}

	var from, to int
	switch m := members[idx]; {
	case idx+1 < len(members):
		from, to = m.keyStart, members[idx+1].keyStart
	case idx > 0:
		from, to = members[idx-1].valEnd, m.valEnd
	default:
		from, to = m.keyStart, m.valEnd
	}
	out := make([]byte, 0, len(raw)-(to-from))
	out = append(out, raw[:from]...)
	out = append(out, raw[to:]...)
	return out, sign, nil
}

type member struct {
	key                        string
	keyStart, valStart, valEnd int
}

// scanObject lists the members of the top-level object with their byte
// offsets. raw must already be valid JSON; the bounds checks only keep a
// broken invariant from panicking.
func scanObject(raw []byte) ([]member, error) {
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, malformed("body is not a JSON object")
	}
	i = skipWS(raw, i+1)
	var members []member
	for i < len(raw) && raw[i] != '}' {
		if raw[i] != '"' {
			return nil, malformed("unexpected byte in object")
		}
		keyStart := i
		keyEnd := skipString(raw, i)
		var key string
		if err := json.Unmarshal(raw[keyStart:keyEnd], &key); err != nil {
			return nil, malformed("bad member name")
		}
		i = skipWS(raw, keyEnd)
		if i >= len(raw) || raw[i] != ':' {
			return nil, malformed("missing colon")
		}
		valStart := skipWS(raw, i+1)
		valEnd := skipValue(raw, valStart)
		members = append(members, member{key: key, keyStart: keyStart, valStart: valStart, valEnd: valEnd})
		i = skipWS(raw, valEnd)
		if i < len(raw) && raw[i] == ',' {
			i = skipWS(raw, i+1)
		}
	}
	if i >= len(raw) {
		return nil, malformed("unterminated object")
	}
	return members, nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the offset just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the offset just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	default:
		for i < len(b) && !strings.ContainsRune(",}] \t\n\r", rune(b[i])) {
			i++
		}
		return i
	}
}

// maxPHPDepth matches PHP's default json_encode depth limit.
const maxPHPDepth = 512

// EncodePHPJSON re-encodes one JSON value the way PHP's
// json_encode($v, JSON_UNESCAPED_UNICODE) writes it: compact, members in
// their original order (duplicates kept), "/" escaped as "\/", non-ASCII
// written raw except U+2028/U+2029, control characters as \b \f \n \r \t or
// \u00XX, numbers exactly as they appear in the input. It reorders and drops
// nothing, so it also serves to produce webhook bodies.
func EncodePHPJSON(raw []byte) ([]byte, error) {
	// PHP refuses invalid UTF-8; Go's decoder would silently substitute
	// U+FFFD and produce bytes PHP never would have signed.
	if !utf8.Valid(raw) {
		return nil, errors.New("heleket: php json: invalid UTF-8")
	}
	if !json.Valid(raw) {
		return nil, errors.New("heleket: php json: invalid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := encodePHPValue(dec, &buf, 0); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("heleket: php json: trailing data after value")
	}
	return buf.Bytes(), nil
}

func encodePHPValue(dec *json.Decoder, buf *bytes.Buffer, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("heleket: php json: %w", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxPHPDepth {
			return errors.New("heleket: php json: nesting too deep")
		}
		switch t {
		case '{':
			buf.WriteByte('{')
			for n := 0; dec.More(); n++ {
				if n > 0 {
					buf.WriteByte(',')
				}
				kt, err := dec.Token()
				if err != nil {
					return fmt.Errorf("heleket: php json: %w", err)
				}
				key, ok := kt.(string)
				if !ok {
					return errors.New("heleket: php json: object key is not a string")
				}
				writePHPString(buf, key)
				buf.WriteByte(':')
				if err := encodePHPValue(dec, buf, depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // the closing '}'
				return fmt.Errorf("heleket: php json: %w", err)
			}
			buf.WriteByte('}')
		case '[':
			buf.WriteByte('[')
			for n := 0; dec.More(); n++ {
				if n > 0 {
					buf.WriteByte(',')
				}
				if err := encodePHPValue(dec, buf, depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // the closing ']'
				return fmt.Errorf("heleket: php json: %w", err)
			}
			buf.WriteByte(']')
		default:
			return fmt.Errorf("heleket: php json: unexpected %q", rune(t))
		}
	case string:
		writePHPString(buf, t)
	case json.Number:
		buf.WriteString(string(t))
	case bool:
		if t {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case nil:
		buf.WriteString("null")
	default:
		return fmt.Errorf("heleket: php json: unexpected token %T", tok)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// writePHPString follows php_json_escape_string with JSON_UNESCAPED_UNICODE
// and without JSON_UNESCAPED_SLASHES or JSON_UNESCAPED_LINE_TERMINATORS.
func writePHPString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '/':
			buf.WriteString(`\/`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		case '\u2028':
			buf.WriteString(`\u2028`)
		case '\u2029':
			buf.WriteString(`\u2029`)
		default:
			if r < 0x20 {
				buf.WriteString(`\u00`)
				buf.WriteByte(hexDigits[r>>4])
				buf.WriteByte(hexDigits[r&0xf])
				continue
			}
			buf.WriteRune(r)
		}
	}
	buf.WriteByte('"')
}
