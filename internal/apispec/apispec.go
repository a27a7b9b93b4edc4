// Package apispec checks HTTP traffic against the API's OpenAPI document,
// so that integration tests fail when the code and the document disagree.
package apispec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Spec is a loaded, validated OpenAPI document. It is safe for concurrent
// use.
type Spec struct {
	Doc    *openapi3.T
	router routers.Router
}

// Load parses and validates an OpenAPI 3 document.
func Load(doc []byte) (*Spec, error) {
	loader := openapi3.NewLoader()
	t, err := loader.LoadFromData(doc)
	if err != nil {
		return nil, fmt.Errorf("apispec: parse document: %w", err)
	}
	if err := t.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("apispec: invalid document: %w", err)
	}
	router, err := gorillamux.NewRouter(t)
	if err != nil {
		return nil, fmt.Errorf("apispec: route document paths: %w", err)
	}
	return &Spec{Doc: t, router: router}, nil
}

// Operations lists the document's operations as "METHOD /path".
func (s *Spec) Operations() []string {
	var out []string
	for path, item := range s.Doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	return out
}

// Check validates one exchange. Every response must be documented (status,
// content type, body). The request is checked only when the API accepted
// it (2xx): tests send invalid requests on purpose to see them refused, and
// an accepted request the document calls invalid means the two disagree.
func (s *Spec) Check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) error {
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%s %s is not in the OpenAPI document (httpapi/openapi.yaml): %w", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: withBody(req, reqBody), PathParams: params, Route: route,
		Options: options(openapi3filter.Options{AuthenticationFunc: bearerPresent}),
	}
	var errs []error
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			errs = append(errs, fmt.Errorf("request accepted with %d but invalid per the document: %w", resp.StatusCode, err))
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: options(openapi3filter.Options{IncludeResponseStatus: true}),
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		errs = append(errs, fmt.Errorf("response %d does not match the document: %w", resp.StatusCode, err))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// options reports every problem at once, each as its JSON path and reason
// rather than kin-openapi's default dump of the whole schema.
func options(o openapi3filter.Options) *openapi3filter.Options {
	o.MultiError = true
	o.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		return "at /" + strings.Join(err.JSONPointer(), "/") + ": " + err.Reason
	})
	return &o
}

// bearerPresent holds a route the document secures to having a bearer
// token: if such a request got a 2xx without one, the route lacks its auth
// middleware.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
		return errors.New("no bearer token, yet the route is secured in the document")
	}
	return nil
}

func withBody(req *http.Request, body []byte) *http.Request {
	c := req.Clone(req.Context())
	c.Body = http.NoBody
	if body != nil {
		c.Body = io.NopCloser(bytes.NewReader(body))
	}
	return c
}

// Transport checks every exchange that passes through it and fails t on a
// mismatch. It reports with t.Errorf, which is safe from any goroutine.
func (s *Spec) Transport(t testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{spec: s, t: t, next: next}
}

type transport struct {
	spec *Spec
	t    testing.TB
	next http.RoundTripper
}

// RoundTrip sends a copy of the request, because a RoundTripper must not
// change the one it is given, and hands back the response with its body
// restored after reading it.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	reqBody, err := readAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("apispec: read request body: %w", err)
	}
	resp, err := tr.next.RoundTrip(withBody(req, reqBody))
	if err != nil {
		return nil, err
	}
	respBody, err := readAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("apispec: read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err := tr.spec.Check(req, reqBody, resp, respBody); err != nil {
		tr.t.Errorf("OpenAPI mismatch: %v", err)
	}
	return resp, nil
}

// readAll reads and closes a body that may be absent.
func readAll(body io.ReadCloser) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(body)
	return b, errors.Join(err, body.Close())
}
