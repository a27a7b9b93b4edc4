package heleket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Endpoint paths. Exported so callers and tests can key metrics or sandbox
// statistics by the same strings the client uses in its errors.
const (
	PathCreatePayout = "/v1/payout"
	PathPayoutInfo   = "/v1/payout/info"
	PathListPayouts  = "/v1/payout/list"
	PathServices     = "/v1/payout/services"
	PathCalc         = "/v1/payout/calc" // as documented
	// PathCalculate is the calc route as both official SDKs call it; Calc
	// falls back to it when PathCalc is not found.
	PathCalculate   = "/v1/payout/calculate"
	PathTestWebhook = "/v1/test-webhook/payout"
)

const (
	// DefaultTimeout bounds one HTTP attempt when Config.Timeout is zero.
	DefaultTimeout   = 15 * time.Second
	defaultUserAgent = "heleket-payouts-go/1"
	// maxResponseBytes caps what is read from Heleket; real answers are a
	// few kilobytes, a list page at most a few hundred.
	maxResponseBytes = 8 << 20
	// maxRetryAfter keeps a hostile or broken Retry-After from parking a
	// workflow for days or overflowing time.Duration.
	maxRetryAfter = 24 * time.Hour
)

// Config configures a Client.
type Config struct {
	BaseURL    string // e.g. https://api.heleket.com; a path prefix is kept
	MerchantID string // merchant UUID, sent as the "merchant" header
	APIKey     string // the payout API key used to sign requests
	// HTTPClient is used as is when set. When nil, the client uses one that
	// does not follow redirects, so the signed headers never travel to a
	// host other than BaseURL.
	HTTPClient *http.Client
	Timeout    time.Duration // per call; DefaultTimeout when zero
	UserAgent  string
}

// Client calls Heleket's payout API. Every method makes exactly one HTTP
// attempt (Calc at most two, see there): the caller (a Temporal activity)
// owns retries and uses IsRetryable and RetryAfter to decide. Safe for
// concurrent use.
type Client struct {
	base       *url.URL
	merchantID string
	apiKey     string
	hc         *http.Client
	timeout    time.Duration
	userAgent  string
	// calcPath is the calc route that last answered; nil until one has.
	calcPath atomic.Pointer[string]
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.BaseURL) == "" {
		return nil, errors.New("heleket: config: base URL is empty")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		// url.Parse errors echo the input, which may carry credentials.
		return nil, errors.New("heleket: config: base URL does not parse")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("heleket: config: base URL scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("heleket: config: base URL has no host")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("heleket: config: base URL must not carry a query or fragment")
	}
	if strings.TrimSpace(cfg.MerchantID) == "" {
		return nil, errors.New("heleket: config: merchant ID is empty")
	}
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("heleket: config: API key is empty")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("heleket: config: negative timeout %s", cfg.Timeout)
	}
	c := &Client{
		base:       u,
		merchantID: cfg.MerchantID,
		apiKey:     cfg.APIKey,
		hc:         cfg.HTTPClient,
		timeout:    cfg.Timeout,
		userAgent:  cfg.UserAgent,
	}
	if c.hc == nil {
		c.hc = &http.Client{
			Transport:     newTransport(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	return c, nil
}

// idleConnsPerHost is how many connections to Heleket are kept open
// between calls. Go's default keeps 2, so a worker with more calls in
// flight than that closed a connection after most calls and opened
// another (a TLS handshake, in production) for the next. It is sized to
// the worker's concurrency, not a limit on it.
const idleConnsPerHost = 64

func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = idleConnsPerHost
	t.MaxIdleConnsPerHost = idleConnsPerHost
	return t
}

// CreatePayout submits a payout. Heleket answers a repeated order_id with the
// existing payout, so retrying with the same request is safe.
func (c *Client) CreatePayout(ctx context.Context, req CreatePayoutRequest) (Payout, error) {
	var p Payout
	err := c.call(ctx, PathCreatePayout, nil, req, &p)
	return p, err
}

// PayoutInfo fetches one payout by order_id or uuid (order_id wins when both
// are set, on Heleket's side).
func (c *Client) PayoutInfo(ctx context.Context, req InfoRequest) (Payout, error) {
	var p Payout
	err := c.call(ctx, PathPayoutInfo, nil, req, &p)
	return p, err
}

// ListPayouts fetches one page of payout history. Pass "" for the first page
// and ListPage.Paginate.NextCursor for the following ones.
func (c *Client) ListPayouts(ctx context.Context, req ListRequest, cursor string) (ListPage, error) {
	var q url.Values
	if cursor != "" {
		q = url.Values{"cursor": {cursor}}
	}
	var page ListPage
	err := c.call(ctx, PathListPayouts, q, req, &page)
	return page, err
}

// Services lists the payout services with their limits and fees.
func (c *Client) Services(ctx context.Context) ([]Service, error) {
	var s []Service
	err := c.call(ctx, PathServices, nil, nil, &s)
	return s, err
}

// Calc asks Heleket for the commission and amounts of a prospective payout.
// The docs name PathCalc and both official SDKs call PathCalculate, so a
// route that is not found (404) is tried once at the other path; the route
// that answers is tried first from then on.
func (c *Client) Calc(ctx context.Context, req CalcRequest) (CalcResult, error) {
	first := PathCalc
	if p := c.calcPath.Load(); p != nil {
		first = *p
	}
	r, err := c.calcAt(ctx, first, req)
	if !routeNotFound(err) {
		return r, err
	}
	second := PathCalculate
	if first == PathCalculate {
		second = PathCalc
	}
	return c.calcAt(ctx, second, req)
}

func (c *Client) calcAt(ctx context.Context, path string, req CalcRequest) (CalcResult, error) {
	var r CalcResult
	err := c.call(ctx, path, nil, req, &r)
	if routeAnswered(err) {
		c.calcPath.Store(&path)
	}
	return r, err
}

func routeNotFound(err error) bool {
	var ee *EndpointError
	return errors.As(err, &ee) && ee.HTTPStatus == http.StatusNotFound
}

// routeAnswered: the API behind the route read the request, whether it
// agreed or not.
func routeAnswered(err error) bool {
	var (
		ve *ValidationError
		re *RefusalError
	)
	return err == nil || errors.As(err, &ve) || errors.As(err, &re)
}

// TestWebhook asks Heleket to send a signed test webhook to req.URLCallback.
func (c *Client) TestWebhook(ctx context.Context, req TestWebhookRequest) error {
	return c.call(ctx, PathTestWebhook, nil, req, nil)
}

// envelope is Heleket's response wrapper. Result stays raw so that an empty
// PHP array ("[]") where an object was expected is told apart from a
// decoding failure.
type envelope struct {
	State   *json.Number    `json:"state"`
	Message json.RawMessage `json:"message"`
	Errors  json.RawMessage `json:"errors"`
	Result  json.RawMessage `json:"result"`
}

// message returns the message when it is a string. Anything else is
// dropped rather than failing the whole answer.
func (e envelope) message() string {
	var s string
	if len(e.Message) > 0 && json.Unmarshal(e.Message, &s) == nil {
		return s
	}
	return ""
}

// validationErrors decodes "errors" in the documented shape (field to list
// of validator keys) and also in the shapes a PHP backend drifts into: a
// single string per field, or a bare list. Nil when absent or empty.
func (e envelope) validationErrors() map[string][]string {
	raw := bytes.TrimSpace(e.Errors)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err == nil {
		out := make(map[string][]string, len(fields))
		for f, v := range fields {
			var list []string
			var one string
			switch {
			case json.Unmarshal(v, &list) == nil:
				out[f] = list
			case json.Unmarshal(v, &one) == nil:
				out[f] = []string{one}
			default:
				out[f] = []string{"unparsed"}
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		if len(list) == 0 {
			return nil
		}
		return map[string][]string{"_": list}
	}
	return map[string][]string{"_": {"unparsed"}}
}

// call makes one signed POST. body nil means an empty body (whose signature
// is md5(api_key)); out nil means the result is ignored.
func (c *Client) call(ctx context.Context, endpoint string, query url.Values, body any, out any) error {
	var payload []byte
	if body != nil {
		var err error
		// json.Marshal, unlike json.Encoder, adds no trailing newline, so the
		// bytes signed are exactly the bytes sent.
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("heleket %s: encode request: %w", endpoint, err)
		}
	}

	u := c.base.JoinPath(endpoint)
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}

	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("heleket %s: build request: %w", endpoint, err)
	}
	req.Header.Set("merchant", c.merchantID)
	req.Header.Set("sign", Sign(payload, c.apiKey))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)

	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportErr(ctx, callCtx, endpoint, err)
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return c.transportErr(ctx, callCtx, endpoint, fmt.Errorf("read response body: %w", err))
	}
	if len(raw) > maxResponseBytes {
		if err := byStatus(endpoint, resp, time.Now()); err != nil {
			return err
		}
		return malformedAnswer(endpoint, resp.StatusCode, "response body too large", raw)
	}
	return classify(endpoint, resp, raw, out, time.Now())
}

// transportErr separates the caller ending its own context (not retryable:
// the caller chose to stop, and will see context.Canceled or
// context.DeadlineExceeded) from failures of this attempt, which are.
func (c *Client) transportErr(parent, callCtx context.Context, endpoint string, err error) error {
	if parent.Err() != nil {
		return fmt.Errorf("heleket %s: call abandoned: %w", endpoint, context.Cause(parent))
	}
	if callCtx.Err() != nil {
		return &TransportError{Endpoint: endpoint, Err: fmt.Errorf("%w after %s", ErrCallTimeout, c.timeout)}
	}
	return &TransportError{Endpoint: endpoint, Err: err}
}

// classify reads an answer by its HTTP status first and by its body only
// where the status leaves the meaning open (422 and 2xx). Only those two
// can reject a payout, and only with a JSON body that says so: a 404 or a
// proxy's HTML page never can, whatever it contains.
func classify(endpoint string, resp *http.Response, raw []byte, out any, now time.Time) error {
	if err := byStatus(endpoint, resp, now); err != nil {
		return err
	}
	status := resp.StatusCode
	env, err := parseEnvelope(endpoint, status, raw)
	if err != nil {
		return err
	}
	if status == http.StatusUnprocessableEntity {
		return unprocessable(endpoint, status, env, raw)
	}
	if env.state != 0 {
		return businessError(endpoint, status, env)
	}
	if out == nil {
		return nil
	}
	return decodeResult(endpoint, status, env.Result, raw, out)
}

// byStatus classifies every status whose meaning does not depend on the
// body; nil for 2xx and 422.
func byStatus(endpoint string, resp *http.Response, now time.Time) error {
	status := resp.StatusCode
	switch {
	case status >= 200 && status < 300, status == http.StatusUnprocessableEntity:
		return nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &AuthError{Endpoint: endpoint, HTTPStatus: status}
	case status == http.StatusTooManyRequests:
		return &RateLimitError{Endpoint: endpoint, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now)}
	case status >= 500:
		return &ServerError{Endpoint: endpoint, HTTPStatus: status}
	}
	// 404 and everything the contract gives no meaning (3xx, 400, 405, ...).
	return &EndpointError{Endpoint: endpoint, HTTPStatus: status}
}

// parsedEnvelope is an envelope whose state has been read.
type parsedEnvelope struct {
	envelope
	state int64
}

func parseEnvelope(endpoint string, status int, raw []byte) (parsedEnvelope, error) {
	var env parsedEnvelope
	// The envelope must be an object; a bare null would otherwise decode
	// into an all-absent envelope that looks like success.
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' || json.Unmarshal(raw, &env.envelope) != nil {
		return env, malformedAnswer(endpoint, status, "body is not a JSON object", raw)
	}
	if env.State != nil {
		n, err := env.State.Int64()
		if err != nil {
			return env, malformedAnswer(endpoint, status, "state is not an integer", raw)
		}
		env.state = n
	}
	return env, nil
}

// unprocessable reads a 422: validation errors or a refusal. A 422 that
// claims nothing of the kind is not taken as a refusal.
func unprocessable(endpoint string, status int, env parsedEnvelope, raw []byte) error {
	if env.message() == "" && env.validationErrors() == nil && env.state == 0 {
		return malformedAnswer(endpoint, status, "422 without errors, message or state", raw)
	}
	return businessError(endpoint, status, env)
}

// businessError reads a failure the body spells out (a 422, or a 2xx with
// state != 0).
func businessError(endpoint string, status int, env parsedEnvelope) error {
	msg := env.message()
	if authMessage(msg) {
		return &AuthError{Endpoint: endpoint, HTTPStatus: status}
	}
	if verrs := env.validationErrors(); len(verrs) > 0 {
		return &ValidationError{Endpoint: endpoint, Errors: verrs}
	}
	return &RefusalError{Endpoint: endpoint, Message: msg, HTTPStatus: status}
}

// decodeResult fills out from a success answer's result. Only the fields
// out declares strictly can fail it (see Payout).
func decodeResult(endpoint string, status int, result, raw []byte, out any) error {
	res := bytes.TrimSpace(result)
	if len(res) == 0 || bytes.Equal(res, []byte("null")) {
		return malformedAnswer(endpoint, status, "response has no result", raw)
	}
	if err := json.Unmarshal(res, out); err != nil {
		// PHP encodes an empty array as [] even where an object is meant;
		// for an object result that carries no data, which is as good as
		// missing.
		return malformedAnswer(endpoint, status, "result does not decode", raw)
	}
	if p, ok := out.(interface{ missing() string }); ok {
		if field := p.missing(); field != "" {
			return malformedAnswer(endpoint, status, "result has no "+field, raw)
		}
	}
	return nil
}

// authMessage recognises what Heleket says about a bad signature ("Invalid
// Sign.", per the API docs) or key ("Wrong key", per the official SDK's
// troubleshooting guide) on a 2xx or 422: our configuration, never a
// refusal of the payout.
func authMessage(msg string) bool {
	msg = strings.TrimSpace(msg)
	return strings.EqualFold(msg, "Invalid Sign.") || strings.EqualFold(msg, "Wrong key")
}

// parseRetryAfter reads delay-seconds or an HTTP date; zero when absent or
// unusable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}
