package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/config"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestWorkerOpsServesMetricsAndHealth(t *testing.T) {
	srv := httptest.NewServer(workerOps())
	defer srv.Close()
	code, body := get(t, srv.URL+"/metrics")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "payouts_webhooks_received_total")
	code, body = get(t, srv.URL+"/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"status":"ok"}`, body)
}

func TestDevCodecKeepsItsKeyAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	first := config.Config{HTTPAddr: "127.0.0.1:8080"}
	require.NoError(t, devCodec(&first, dir))
	assert.NotEmpty(t, first.PayloadKeys)
	assert.Len(t, first.CodecToken, 32)
	info, err := os.Stat(filepath.Join(dir, devKeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the key file is private")

	second := config.Config{HTTPAddr: "0.0.0.0:8080"}
	require.NoError(t, devCodec(&second, dir))
	assert.Equal(t, first.PayloadKeys, second.PayloadKeys, "histories written before a restart stay readable")
	assert.Equal(t, "http://127.0.0.1:8080/codec/"+second.CodecToken, devCodecEndpoint(second))
	assert.Equal(t, "dev1", payloadKeyID(second))

	set := config.Config{PayloadKeys: first.PayloadKeys, CodecToken: "operator-chosen-token"}
	require.NoError(t, devCodec(&set, t.TempDir()))
	assert.Equal(t, "operator-chosen-token", set.CodecToken, "configured values win")
}

func TestWithOpsMountsTheCodecOnlyWhenKeysAreSet(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	off, err := withOps(config.Config{}, api, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(off)
	defer srv.Close()
	code, _ := get(t, srv.URL+"/codec/decode")
	assert.Equal(t, http.StatusTeapot, code, "without PAYLOAD_KEYS /codec/ is the API's (a 404 there)")
	code, _ = get(t, srv.URL+"/metrics")
	assert.Equal(t, http.StatusOK, code)

	cfg := config.Config{TemporalUIAddr: "127.0.0.1:8233"}
	require.NoError(t, devCodec(&cfg, t.TempDir()))
	on, err := withOps(cfg, api, []config.AdminToken{{Name: "alice", Token: "alice-token-0123456789"}})
	require.NoError(t, err)
	srv2 := httptest.NewServer(on)
	defer srv2.Close()
	resp, err := http.Post(srv2.URL+"/codec/decode", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the codec answers, and wants a token")
}

func TestDevKeepsItsTokensAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	var first, second config.Config
	require.NoError(t, devSecrets(&first, dir))
	require.NoError(t, devSecrets(&second, dir))
	tokens, err := config.ParseAdminTokens(first.AdminTokens)
	require.NoError(t, err)
	require.NotEmpty(t, tokens)
	for _, tok := range tokens {
		assert.Equal(t, []access.Role{access.Admin}, tok.Roles, "the dev tokens (%s) have every role", tok.Name)
	}
	assert.Equal(t, "admin", tokens[0].Name)
	assert.Equal(t, first.AdminTokens, second.AdminTokens, "a saved curl keeps working after a restart")
	assert.Equal(t, first.CodecToken, second.CodecToken, "the UI's codec endpoint survives a restart")
	for _, name := range []string{devAdminTokensFile, devCodecTokenFile} {
		info, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, "kept next to the payload keys")
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "%s is private", name)
	}

	set := config.Config{AdminTokens: "alice:alice-token-0123456789", CodecToken: "operator-chosen-token"}
	require.NoError(t, devSecrets(&set, dir))
	assert.Equal(t, "alice:alice-token-0123456789", set.AdminTokens, "configured values win")
	assert.Equal(t, "operator-chosen-token", set.CodecToken)
}
