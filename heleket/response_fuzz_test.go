package heleket

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"
)

// FuzzClassifyResponse feeds Heleket's answers, which are outside input
// too, through the client's classification: whatever the status, header
// and body, the result is nil only for a 2xx with a result, every error
// is one of the typed errors a caller can act on, the status decides
// before the body (401/403 auth, 404 endpoint, 429 rate limit, 5xx
// server), only a 422 or a 2xx with a JSON object body can reject (and
// every other error is retryable), and a Retry-After never asks for a
// negative or unbounded wait.
func FuzzClassifyResponse(f *testing.F) {
	for _, s := range []struct {
		status int
		retry  string
		body   string
	}{
		{200, "", `{"state":0,"result":{"uuid":"u","order_id":"o","amount":"1.5","status":"process"}}`},
		{200, "", `{"state":0,"result":[]}`},
		{200, "", `{"state":1,"message":"You are forbidden"}`},
		{422, "", `{"state":1,"errors":{"amount":["validation.required"]}}`},
		{422, "", `{"state":1,"errors":["x"]}`},
		{422, "", `<html>`}, {422, "", `{}`},
		{401, "", `{"state":1,"message":"Invalid Sign."}`},
		{404, "", `{"message":"Not found"}`}, {400, "", `{"state":1,"message":"Bad"}`}, {405, "", ``},
		{429, "30", ``}, {429, "Wed, 21 Oct 2015 07:28:00 GMT", ``}, {429, "-1", ``}, {429, "99999999999999999999", ``},
		{500, "", `<html>`}, {200, "", `null`}, {200, "", `{"state":"x"}`}, {200, "", `{"state":1e400}`}, {302, "", `{}`},
		{200, "", `{"state":0,"result":{"amount":{"x":1}}}`},
		{200, "", `{"state":0,"result":{"uuid":"u","status":"paid","balance":{"x":1}}}`},
	} {
		f.Add(s.status, s.retry, []byte(s.body))
	}
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {retryAfter}}}
		var out Payout
		err := classify("/v1/payout/info", resp, body, &out, now)
		is2xx := status >= 200 && status <= 299
		if err == nil {
			if !is2xx {
				t.Fatalf("status %d classified as success", status)
			}
			return
		}
		checkTyped(t, err)
		checkStatusFirst(t, status, err)
		var (
			v  *ValidationError
			rf *RefusalError
		)
		rejects := errors.As(err, &v) || errors.As(err, &rf)
		if rejects && !(status == http.StatusUnprocessableEntity || is2xx) {
			t.Fatalf("HTTP %d rejects: %v", status, err)
		}
		if b := bytes.TrimSpace(body); rejects && (len(b) == 0 || b[0] != '{' || !json.Valid(b)) {
			t.Fatalf("a body that is not a JSON object rejected: %v", err)
		}
		if rejects == IsRetryable(err) {
			t.Fatalf("rejects=%v but IsRetryable=%v: %v", rejects, IsRetryable(err), err)
		}
		if d, ok := RetryAfter(err); ok && (d < 0 || d > maxRetryAfter) {
			t.Fatalf("Retry-After %q gave %s", retryAfter, d)
		}
	})
}

func checkTyped(t *testing.T, err error) {
	t.Helper()
	var (
		v  *ValidationError
		rf *RefusalError
		a  *AuthError
		ee *EndpointError
		rl *RateLimitError
		se *ServerError
		me *MalformedError
	)
	if !errors.As(err, &v) && !errors.As(err, &rf) && !errors.As(err, &a) && !errors.As(err, &ee) &&
		!errors.As(err, &rl) && !errors.As(err, &se) && !errors.As(err, &me) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}

// checkStatusFirst: these statuses mean one thing whatever the body says.
func checkStatusFirst(t *testing.T, status int, err error) {
	t.Helper()
	var (
		a  *AuthError
		ee *EndpointError
		rl *RateLimitError
		se *ServerError
	)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		if !errors.As(err, &a) {
			t.Fatalf("%d is not an AuthError: %v", status, err)
		}
	case status == http.StatusNotFound:
		if !errors.As(err, &ee) {
			t.Fatalf("404 is not an EndpointError: %v", err)
		}
	case status == http.StatusTooManyRequests:
		if !errors.As(err, &rl) {
			t.Fatalf("429 is not a RateLimitError: %v", err)
		}
	case status >= 500:
		if !errors.As(err, &se) {
			t.Fatalf("%d is not a ServerError: %v", status, err)
		}
	}
}
