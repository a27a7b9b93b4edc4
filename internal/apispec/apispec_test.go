package apispec_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/apispec"
)

const doc = `
openapi: 3.0.3
info: {title: t, version: "1"}
servers: [{url: /}]
security: [{bearer: []}]
paths:
  /things/{id}:
    put:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              additionalProperties: false
              properties: {name: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [id]
                additionalProperties: false
                properties: {id: {type: string}}
        "422":
          description: invalid
          content:
            application/json:
              schema: {type: object, required: [error], properties: {error: {type: string}}}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
`

func exchange(t *testing.T, s *apispec.Spec, method, path, auth, reqBody string, status int, respBody string) error {
	t.Helper()
	req := httptest.NewRequest(method, "http://127.0.0.1:1"+path, strings.NewReader(reqBody))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}}
	return s.Check(req, []byte(reqBody), resp, []byte(respBody))
}

func TestCheck(t *testing.T) {
	s, err := apispec.Load([]byte(doc))
	require.NoError(t, err)
	assert.Equal(t, []string{"PUT /things/{id}"}, s.Operations())

	const bearer = "Bearer x"
	cases := []struct {
		name                string
		method, path, auth  string
		reqBody             string
		status              int
		respBody, wantError string
	}{
		{"conforming", "PUT", "/things/1", bearer, `{"name":"a"}`, 200, `{"id":"1"}`, ""},
		{"invalid request refused", "PUT", "/things/1", bearer, `{"nom":"a"}`, 422, `{"error":"bad"}`, ""},
		{"invalid request accepted", "PUT", "/things/1", bearer, `{"nom":"a"}`, 200, `{"id":"1"}`, "request accepted"},
		{"accepted without a token", "PUT", "/things/1", "", `{"name":"a"}`, 200, `{"id":"1"}`, "bearer"},
		{"undocumented field", "PUT", "/things/1", bearer, `{"name":"a"}`, 200, `{"id":"1","extra":true}`, "response 200"},
		{"undocumented status", "PUT", "/things/1", bearer, `{"name":"a"}`, 409, `{"error":"x"}`, "status is not supported"},
		{"unknown path", "GET", "/nothing", bearer, ``, 200, `{}`, "not in the OpenAPI document"},
		{"unknown method", "GET", "/things/1", bearer, ``, 200, `{}`, "not in the OpenAPI document"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := exchange(t, s, c.method, c.path, c.auth, c.reqBody, c.status, c.respBody)
			if c.wantError == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, c.wantError)
		})
	}
}

func TestTransportKeepsBodiesIntact(t *testing.T) {
	s, err := apispec.Load([]byte(doc))
	require.NoError(t, err)
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"7"}`))
	}))
	defer srv.Close()

	client := &http.Client{Transport: s.Transport(t, nil)}
	req, err := http.NewRequest(http.MethodPut, srv.URL+"/things/7", strings.NewReader(`{"name":"n"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, `{"name":"n"}`, got, "the server saw the whole request body")
	assert.Equal(t, `{"id":"7"}`, string(body), "the caller sees the whole response body")
}

func TestLoadRefusesAnInvalidDocument(t *testing.T) {
	_, err := apispec.Load([]byte("openapi: 3.0.3\ninfo: {title: t}\npaths: {}\n"))
	assert.Error(t, err)
}
