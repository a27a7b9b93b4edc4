package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heleket-payouts/payouts/heleket"
)

// heleketEndpoints are the label values of the endpoint label; any other
// path counts as "other", so a misconfigured base URL cannot grow the
// label set.
var heleketEndpoints = []string{
	heleket.PathPayoutInfo, heleket.PathListPayouts, heleket.PathServices, heleket.PathCalc, heleket.PathCalculate,
	heleket.PathTestWebhook, heleket.PathCreatePayout, heleket.PathBalance,
}

// HeleketTransport wraps next (nil means http.DefaultTransport) to time
// every Heleket call by endpoint and outcome. Outcomes are HTTP-level: ok
// (2xx), unauthorized, rejected (422), rate_limited, client_error,
// server_error, timeout, transport_error.
func HeleketTransport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := next.RoundTrip(r)
		heleketRequests.WithLabelValues(endpoint(r.URL.Path), outcome(resp, err)).Observe(time.Since(start).Seconds())
		return resp, err
	})
}

// HeleketHTTPClient is the instrumented client for heleket.Config. Like the
// heleket package's own default it never follows redirects, so the signed
// headers never reach another host.
func HeleketHTTPClient() *http.Client {
	return &http.Client{
		Transport:     HeleketTransport(nil),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func endpoint(path string) string {
	for _, e := range heleketEndpoints {
		if strings.HasSuffix(strings.TrimRight(path, "/"), e) {
			return e
		}
	}
	return other
}

func outcome(resp *http.Response, err error) string {
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			return "timeout"
		}
		return "transport_error"
	}
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return "ok"
	case c == http.StatusUnauthorized || c == http.StatusForbidden:
		return "unauthorized"
	case c == http.StatusUnprocessableEntity:
		return "rejected"
	case c == http.StatusTooManyRequests:
		return "rate_limited"
	case c >= 500:
		return "server_error"
	case c >= 400:
		return "client_error"
	default:
		return "status_" + strconv.Itoa(c/100) + "xx"
	}
}
