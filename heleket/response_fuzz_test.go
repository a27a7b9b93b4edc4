package heleket

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// FuzzClassifyResponse feeds Heleket's answers, which are outside input
// too, through the client's classification: whatever the status, header
// and body, the result is nil only for a 2xx with a result, every error
// is one of the typed errors a caller can act on, and a Retry-After never
// asks for a negative or unbounded wait.
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
		{401, "", `{"state":1,"message":"Invalid Sign."}`},
		{429, "30", ``}, {429, "Wed, 21 Oct 2015 07:28:00 GMT", ``}, {429, "-1", ``}, {429, "99999999999999999999", ``},
		{500, "", `<html>`}, {200, "", `null`}, {200, "", `{"state":"x"}`}, {200, "", `{"state":1e400}`}, {302, "", `{}`},
		{200, "", `{"state":0,"result":{"amount":{"x":1}}}`},
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
		if err == nil {
			if status < 200 || status > 299 {
				t.Fatalf("status %d classified as success", status)
			}
			return
		}
		var (
			v  *ValidationError
			rf *RefusalError
			a  *AuthError
			rl *RateLimitError
			se *ServerError
			me *MalformedError
		)
		if !errors.As(err, &v) && !errors.As(err, &rf) && !errors.As(err, &a) && !errors.As(err, &rl) && !errors.As(err, &se) && !errors.As(err, &me) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
		if status >= 500 && !IsRetryable(err) {
			t.Fatalf("%d is not retryable: %v", status, err)
		}
		if d, ok := RetryAfter(err); ok && (d < 0 || d > maxRetryAfter) {
			t.Fatalf("Retry-After %q gave %s", retryAfter, d)
		}
	})
}
