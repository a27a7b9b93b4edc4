package heleket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// The error types below are what a caller (a Temporal activity) branches on
// with errors.As. Their messages name the endpoint and the class of failure
// only: never the API key, the signature, the request or the response body.

// ValidationError is Heleket rejecting the request's fields: an "errors"
// object on a 422, or on a 2xx with state != 0. Retrying the same request
// cannot succeed.
type ValidationError struct {
	Endpoint string
	// Errors maps a field name to validator keys such as
	// "validation.required"; Heleket sends keys, not sentences.
	Errors map[string][]string
}

func (e *ValidationError) Error() string {
	fields := make([]string, 0, len(e.Errors))
	for f, keys := range e.Errors {
		fields = append(fields, f+"="+strings.Join(keys, "|"))
	}
	sort.Strings(fields) // map order is random; stable messages group better in logs
	return fmt.Sprintf("heleket %s: validation failed: %s", e.Endpoint, redact(strings.Join(fields, ", ")))
}

// RefusalError is a business refusal: a message (or state != 0 alone) on a
// 422 or on a 2xx with state != 0, such as an insufficient balance or "You
// are forbidden" when payouts are blocked. No other status produces it.
// Retrying the same request will not help until something changes on the
// merchant's side.
type RefusalError struct {
	Endpoint   string
	Message    string
	HTTPStatus int
}

func (e *RefusalError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("heleket %s: refused (HTTP %d): %s", e.Endpoint, e.HTTPStatus, redact(truncate(msg, 200)))
}

// AuthError is a rejected signature or merchant: HTTP 401/403, or an
// "Invalid Sign." or "Wrong key" message on a 2xx or 422. It points at our configuration
// (payout key, merchant UUID, or an IP allow-list on Heleket's side), never
// at the payout, so it must never reject one: it is retryable, and
// NeedsOperator reports it so that the caller alerts while it retries.
type AuthError struct {
	Endpoint   string
	HTTPStatus int
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("heleket %s: authentication rejected (HTTP %d): check merchant UUID and payout API key", e.Endpoint, e.HTTPStatus)
}

// EndpointError is an HTTP status that says the request did not reach the
// API it was meant for: 404 (a wrong base URL or route, which a Laravel
// backend answers in JSON like any refusal), a redirect, or any status the
// contract does not give a meaning (400, 405, 409, 410, 1xx ...). Whatever
// the body says, it is never a refusal of the payout: retryable, and
// NeedsOperator reports it.
type EndpointError struct {
	Endpoint   string
	HTTPStatus int
}

func (e *EndpointError) Error() string {
	const hint = "check HELEKET_PROJECT_URL (base URL or route)"
	if e.HTTPStatus == http.StatusNotFound {
		return fmt.Sprintf("heleket %s: endpoint not found (HTTP 404): %s", e.Endpoint, hint)
	}
	return fmt.Sprintf("heleket %s: unexpected HTTP status %d: %s", e.Endpoint, e.HTTPStatus, hint)
}

// RateLimitError is HTTP 429. RetryAfter is zero when the server gave no
// usable Retry-After header.
type RateLimitError struct {
	Endpoint   string
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("heleket %s: rate limited, retry after %s", e.Endpoint, e.RetryAfter)
	}
	return fmt.Sprintf("heleket %s: rate limited", e.Endpoint)
}

// ServerError is HTTP 5xx, whatever the body says. It is retryable: the
// request may or may not have taken effect, which is safe to retry because
// creates are idempotent on order_id, while giving up could wrongly mark a
// payout that was actually made as failed.
type ServerError struct {
	Endpoint   string
	HTTPStatus int
	// Reason is a short fixed description; the client leaves it empty, as
	// the status says it all.
	Reason string
}

func (e *ServerError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("heleket %s: server error (HTTP %d): %s", e.Endpoint, e.HTTPStatus, e.Reason)
	}
	return fmt.Sprintf("heleket %s: server error (HTTP %d)", e.Endpoint, e.HTTPStatus)
}

// MalformedError is a 2xx answer this client cannot use: not the
// documented envelope, a field the product acts on that does not decode, or
// a create or info result without uuid or status. Retryable: Heleket may
// have applied the request (a create is idempotent on order_id, so asking
// again is safe), and giving up could mark a payout that was made as failed.
// The caller decides after how many attempts a person must look.
type MalformedError struct {
	Endpoint   string
	HTTPStatus int
	// Reason is a short fixed description, e.g. "result has no uuid".
	Reason string
	// Raw is the body as received, cut at maxMalformedRaw bytes, for the
	// audit trail. It may hold wallet addresses: store it, never log it.
	Raw []byte
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("heleket %s: malformed answer (HTTP %d): %s", e.Endpoint, e.HTTPStatus, e.Reason)
}

// maxMalformedRaw bounds the copy of a bad body an error carries; real
// answers are a few kilobytes, and an error travels through logs and
// Temporal failures.
const maxMalformedRaw = 16 << 10

func malformedAnswer(endpoint string, status int, reason string, raw []byte) *MalformedError {
	return &MalformedError{Endpoint: endpoint, HTTPStatus: status, Reason: reason, Raw: bytes.Clone(raw[:min(len(raw), maxMalformedRaw)])}
}

// TransportError is a failure to complete the HTTP exchange: dial, TLS,
// connection reset, the per-call timeout, or reading the response body.
type TransportError struct {
	Endpoint string
	Err      error
}

func (e *TransportError) Error() string {
	inner := e.Err
	// *url.Error repeats the full request URL; the cause alone is enough
	// and keeps query strings out of logs.
	var ue *url.Error
	if errors.As(inner, &ue) {
		inner = ue.Err
	}
	return fmt.Sprintf("heleket %s: transport error: %v", e.Endpoint, inner)
}

func (e *TransportError) Unwrap() error { return e.Err }

// ErrCallTimeout is the cause recorded when the client's own per-call timeout
// fires, as opposed to the caller's context ending. It wraps
// context.DeadlineExceeded.
var ErrCallTimeout = fmt.Errorf("heleket: per-call timeout: %w", context.DeadlineExceeded)

// IsRetryable reports whether repeating the same call may succeed: rate
// limits, server errors, malformed answers, transport failures (including
// the per-call timeout), and the configuration problems NeedsOperator
// reports, which succeed once an operator fixes them. Only validation and
// refusal errors are permanent, and so is the caller's own context ending:
// the caller decided to stop.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var (
		rl *RateLimitError
		se *ServerError
		me *MalformedError
		te *TransportError
	)
	return errors.As(err, &rl) || errors.As(err, &se) || errors.As(err, &me) || errors.As(err, &te) || NeedsOperator(err)
}

// NeedsOperator reports configuration problems that retrying alone does
// not fix and an operator must: credentials (AuthError) and the base URL
// or route (EndpointError). The payout is not at fault; the caller keeps
// retrying and alerts.
func NeedsOperator(err error) bool {
	var (
		ae *AuthError
		ee *EndpointError
	)
	return errors.As(err, &ae) || errors.As(err, &ee)
}

// RetryAfter returns the delay Heleket asked for with a 429's Retry-After
// header. ok is false when err is not a rate limit or carried no positive
// delay; the caller then uses its own backoff.
func RetryAfter(err error) (time.Duration, bool) {
	var rl *RateLimitError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		return rl.RetryAfter, true
	}
	return 0, false
}

// longToken matches runs long enough to be a wallet address, a txid or a
// key. Heleket's messages are short sentences, so anything this long that
// found its way into one is safer dropped than logged.
var longToken = regexp.MustCompile(`[A-Za-z0-9:_\-]{24,}`)

func redact(s string) string { return longToken.ReplaceAllString(s, "[redacted]") }
