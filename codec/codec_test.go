package codec_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/heleket-payouts/payouts/codec"
)

const address = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"

func key(t *testing.T, id string) string {
	t.Helper()
	k, err := codec.GenerateKey(id)
	require.NoError(t, err)
	return k
}

func plainPayload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	require.NoError(t, err)
	return p
}

func TestEncodeHidesPlaintextAndDecodeRestoresIt(t *testing.T) {
	c, err := codec.New(key(t, "k1"), "")
	require.NoError(t, err)
	in := plainPayload(t, map[string]string{"address": address, "amount": "100.50"})

	enc, err := c.Encode([]*commonpb.Payload{in})
	require.NoError(t, err)
	require.Len(t, enc, 1)
	assert.Equal(t, codec.EncodingEncrypted, string(enc[0].Metadata["encoding"]))
	assert.Equal(t, "k1", string(enc[0].Metadata[codec.MetadataKeyID]))
	assert.NotContains(t, string(enc[0].Data), address)
	assert.NotContains(t, string(enc[0].Data), "json/plain", "metadata is encrypted too")

	dec, err := c.Decode(enc)
	require.NoError(t, err)
	assert.Equal(t, in.Data, dec[0].Data)
	assert.Equal(t, in.Metadata, dec[0].Metadata)
}

func TestNonceMakesEqualPayloadsDiffer(t *testing.T) {
	c, err := codec.New(key(t, "k1"), "")
	require.NoError(t, err)
	in := plainPayload(t, address)
	a, err := c.Encode([]*commonpb.Payload{in})
	require.NoError(t, err)
	b, err := c.Encode([]*commonpb.Payload{in})
	require.NoError(t, err)
	assert.NotEqual(t, a[0].Data, b[0].Data)
}

func TestRotationKeepsOldPayloadsReadable(t *testing.T) {
	k1, k2 := key(t, "2025-01"), key(t, "2026-01")
	old, err := codec.New(k1, "")
	require.NoError(t, err)
	enc, err := old.Encode([]*commonpb.Payload{plainPayload(t, address)})
	require.NoError(t, err)

	rotated, err := codec.New(k1+","+k2, "")
	require.NoError(t, err)
	assert.Equal(t, "2026-01", rotated.ActiveKeyID(), "the last key encrypts")
	dec, err := rotated.Decode(enc)
	require.NoError(t, err)
	var got string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(dec[0], &got))
	assert.Equal(t, address, got)

	fresh, err := rotated.Encode([]*commonpb.Payload{plainPayload(t, address)})
	require.NoError(t, err)
	assert.Equal(t, "2026-01", string(fresh[0].Metadata[codec.MetadataKeyID]))

	pinned, err := codec.New(k1+","+k2, "2025-01")
	require.NoError(t, err)
	assert.Equal(t, "2025-01", pinned.ActiveKeyID(), "PAYLOAD_KEY_ID picks the encrypting key")
}

func TestDecodeRefusesUnknownKeyAndTampering(t *testing.T) {
	c, err := codec.New(key(t, "a")+","+key(t, "b"), "a")
	require.NoError(t, err)
	enc, err := c.Encode([]*commonpb.Payload{plainPayload(t, address)})
	require.NoError(t, err)

	other, err := codec.New(key(t, "z"), "")
	require.NoError(t, err)
	_, err = other.Decode(enc)
	assert.ErrorContains(t, err, `unknown key id "a"`)

	relabelled := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte(codec.EncodingEncrypted), codec.MetadataKeyID: []byte("b")}, Data: enc[0].Data}
	_, err = c.Decode([]*commonpb.Payload{relabelled})
	assert.Error(t, err, "the key id is authenticated")

	flipped := bytes.Clone(enc[0].Data)
	flipped[len(flipped)-1] ^= 1
	_, err = c.Decode([]*commonpb.Payload{{Metadata: enc[0].Metadata, Data: flipped}})
	assert.Error(t, err)
}

func TestDecodePassesPlainPayloadsThrough(t *testing.T) {
	c, err := codec.New(key(t, "k"), "")
	require.NoError(t, err)
	in := plainPayload(t, "written before the codec was on")
	out, err := c.Decode([]*commonpb.Payload{in})
	require.NoError(t, err)
	assert.Same(t, in, out[0])
}

func TestNewRejectsBadKeys(t *testing.T) {
	short := "k:" + base64.StdEncoding.EncodeToString(make([]byte, 16))
	for name, spec := range map[string]string{
		"empty":       "",
		"no id":       ":" + strings.SplitN(key(t, "x"), ":", 2)[1],
		"not base64":  "k:not-base64!!",
		"short key":   short,
		"bad id":      "a b:" + strings.SplitN(key(t, "x"), ":", 2)[1],
		"duplicate":   key(t, "k") + "," + key(t, "k"),
		"missing sep": "justtext",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := codec.New(spec, "")
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "not-base64!!", "errors never echo key material")
		})
	}
	_, err := codec.New(key(t, "k"), "other")
	assert.ErrorContains(t, err, "PAYLOAD_KEY_ID")
}

func TestDataConverterRoundTrip(t *testing.T) {
	c, err := codec.New(key(t, "k"), "")
	require.NoError(t, err)
	dc := c.DataConverter()
	p, err := dc.ToPayload(map[string]string{"address": address})
	require.NoError(t, err)
	assert.NotContains(t, string(p.Data), address)
	var back map[string]string
	require.NoError(t, dc.FromPayload(p, &back))
	assert.Equal(t, address, back["address"])
	require.NotNil(t, c.FailureConverter())
}

// server

const (
	token     = "codec-bearer-token-0123456789"
	pathToken = "ui-path-token-abcdef0123456789"
	uiOrigin  = "http://127.0.0.1:8233"
)

func server(t *testing.T) (*codec.Codec, *httptest.Server) {
	c, err := codec.New(key(t, "k"), "")
	require.NoError(t, err)
	srv := httptest.NewServer(http.StripPrefix("/codec", codec.Handler(c, codec.ServerOptions{
		Tokens: []string{token}, PathToken: pathToken, Origins: []string{uiOrigin},
	})))
	t.Cleanup(srv.Close)
	return c, srv
}

func post(t *testing.T, url, auth string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", uiOrigin)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func encrypted(t *testing.T, c *codec.Codec) []byte {
	enc, err := c.Encode([]*commonpb.Payload{plainPayload(t, address)})
	require.NoError(t, err)
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	require.NoError(t, err)
	return b
}

func decodedAddress(t *testing.T, resp *http.Response) string {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out commonpb.Payloads
	var raw json.RawMessage
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&raw))
	require.NoError(t, protojson.Unmarshal(raw, &out))
	require.Len(t, out.Payloads, 1)
	var got string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(out.Payloads[0], &got))
	return got
}

func TestCodecServerDecodesWithBearerOrPathToken(t *testing.T) {
	c, srv := server(t)
	body := encrypted(t, c)

	resp := post(t, srv.URL+"/codec/decode", "Bearer "+token, body)
	assert.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, address, decodedAddress(t, resp))

	assert.Equal(t, address, decodedAddress(t, post(t, srv.URL+"/codec/"+pathToken+"/decode", "", body)))
}

func TestCodecServerRefusesWithoutValidToken(t *testing.T) {
	c, srv := server(t)
	body := encrypted(t, c)
	for name, tc := range map[string]struct{ path, auth string }{
		"no token":          {"/codec/decode", ""},
		"wrong bearer":      {"/codec/decode", "Bearer nope-nope-nope-nope"},
		"wrong path token":  {"/codec/wrong-token/decode", ""},
		"basic auth":        {"/codec/decode", "Basic " + token},
		"path token as hdr": {"/codec/decode", "Bearer " + pathToken},
	} {
		t.Run(name, func(t *testing.T) {
			resp := post(t, srv.URL+tc.path, tc.auth, body)
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		})
	}
	assert.Equal(t, http.StatusNotFound, post(t, srv.URL+"/codec/a/b/decode", "Bearer "+token, body).StatusCode)
	assert.Equal(t, http.StatusNotFound, post(t, srv.URL+"/codec/explode", "Bearer "+token, body).StatusCode)
}

func TestCodecServerWithoutTokensIsClosed(t *testing.T) {
	c, err := codec.New(key(t, "k"), "")
	require.NoError(t, err)
	srv := httptest.NewServer(codec.Handler(c, codec.ServerOptions{}))
	defer srv.Close()
	assert.Equal(t, http.StatusUnauthorized, post(t, srv.URL+"/decode", "", encrypted(t, c)).StatusCode)
	assert.Equal(t, http.StatusUnauthorized, post(t, srv.URL+"//decode", "", encrypted(t, c)).StatusCode)
}

func TestCodecServerCORSPreflight(t *testing.T) {
	_, srv := server(t)
	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, srv.URL+"/codec/decode", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-namespace")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	ok := preflight(uiOrigin)
	assert.Equal(t, http.StatusNoContent, ok.StatusCode)
	assert.Equal(t, uiOrigin, ok.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", ok.Header.Get("Access-Control-Allow-Credentials"))
	assert.Contains(t, ok.Header.Get("Access-Control-Allow-Headers"), "X-Namespace")

	evil := preflight("http://evil.example")
	assert.Equal(t, http.StatusForbidden, evil.StatusCode)
	assert.Empty(t, evil.Header.Get("Access-Control-Allow-Origin"))
}
