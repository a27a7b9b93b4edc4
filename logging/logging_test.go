package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/logging"
)

const (
	tron    = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"
	evm     = "0x52908400098527886E0F7030069857D2E4169EE7"
	apiKey  = "heleket-payout-key-0123456789"
	payout  = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
	workflw = "payout-" + payout
)

func capture(secrets ...string) (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return logging.New(logging.Options{Level: "debug", Writer: &buf, Secrets: secrets}), &buf
}

func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		out = append(out, m)
	}
	return out
}

func TestSecretsAndAddressesAreMaskedEverywhere(t *testing.T) {
	log, buf := capture(apiKey)
	log.Info("sending to "+tron, "address", evm, "api_key", "whatever", "Authorization", "Bearer abc",
		"note", "key is "+apiKey, "error", fmt.Errorf("heleket refused %s: bad", tron),
		"nested", map[string]string{"to": evm}, "sign", "d41d8cd98f00b204e9800998ecf8427e",
		"header", "authorization: Bearer sk-live-token-value")
	log.With("wallet_address", tron).Warn("with attrs", slog.Group("g", "secret", "s3cr3t-value", "text", "to "+evm))

	out := buf.String()
	for _, leak := range []string{tron, evm, apiKey, "s3cr3t-value", "sk-live-token-value", "d41d8cd98f00b204e9800998ecf8427e"} {
		assert.NotContains(t, out, leak)
	}
	l := lines(t, buf)
	assert.Equal(t, "sending to TQrZ…AbpW", l[0]["msg"], "masked like the API's address_masked")
	assert.Equal(t, "0x52…9EE7", l[0]["address"])
	assert.Equal(t, "[REDACTED]", l[0]["api_key"])
	assert.Equal(t, "key is [REDACTED]", l[0]["note"])
	assert.Equal(t, "heleket refused TQrZ…AbpW: bad", l[0]["error"])
	assert.Equal(t, "TQrZ…AbpW", l[1]["wallet_address"])
}

func TestOwnIDsAndOrdinaryValuesStayReadable(t *testing.T) {
	log, buf := capture(apiKey)
	log.Info("payout accepted", "payout_id", payout, "workflow_id", workflw, "addr", "127.0.0.1:8080",
		"status", 200, "idempotency_key", "first-payout", "txid", strings.Repeat("ab", 32))
	l := lines(t, buf)[0]
	assert.Equal(t, payout, l["payout_id"])
	assert.Equal(t, workflw, l["workflow_id"])
	assert.Equal(t, "127.0.0.1:8080", l["addr"], "a listen address is not a wallet address")
	assert.EqualValues(t, 200, l["status"])
	assert.Equal(t, "first-payout", l["idempotency_key"])
	assert.Equal(t, strings.Repeat("ab", 32), l["txid"])
}

func TestPayoutIDIsDerivedFromTheWorkflowID(t *testing.T) {
	log, buf := capture()
	// The Temporal SDK adds WorkflowID with With; activity lines then carry it.
	sdk := log.With("WorkflowID", workflw, "RunID", "r-1")
	sdk.Info("activity started")
	sdk.Info("again")
	log.Info("record attr", "WorkflowID", workflw)
	log.Info("not a payout", "WorkflowID", "some-other-workflow")

	l := lines(t, buf)
	assert.Equal(t, payout, l[0]["payout_id"])
	assert.Equal(t, payout, l[1]["payout_id"], "derived once, for every line")
	assert.Equal(t, payout, l[2]["payout_id"])
	assert.NotContains(t, l[3], "payout_id")
}

func TestScopeAddsRequestAndPayoutIDs(t *testing.T) {
	log, buf := capture()
	ctx := logging.NewScope(context.Background(), "request_id", "req-1")
	log.InfoContext(ctx, "first")
	logging.Add(ctx, "payout_id", payout)
	logging.Add(ctx, "payout_id", payout) // repeated: still one key
	log.InfoContext(ctx, "second", "address", tron)
	logging.Add(context.Background(), "payout_id", "ignored") // no scope: no effect
	log.Info("no context")

	l := lines(t, buf)
	assert.Equal(t, "req-1", l[0]["request_id"])
	assert.NotContains(t, l[0], "payout_id")
	assert.Equal(t, payout, l[1]["payout_id"])
	assert.Equal(t, "TQrZ…AbpW", l[1]["address"])
	assert.Equal(t, 1, strings.Count(buf.String(), `"payout_id"`))
	assert.NotContains(t, l[2], "request_id")
}

func TestTextFormatAndLevel(t *testing.T) {
	var buf bytes.Buffer
	log := logging.New(logging.Options{Level: "warn", Format: "text", Writer: &buf, Secrets: []string{apiKey, "short"}})
	log.Info("hidden")
	log.Warn("shown", "err", errors.New("key "+apiKey), "word", "short")
	assert.NotContains(t, buf.String(), "hidden")
	assert.Contains(t, buf.String(), "msg=shown")
	assert.Contains(t, buf.String(), "key [REDACTED]")
	assert.Contains(t, buf.String(), "word=short", "values shorter than 8 characters are not treated as secrets")
}

func TestAddressShapesAcrossNetworks(t *testing.T) {
	log, buf := capture()
	addrs := []string{
		"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
		"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
		"LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9",
		"DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L",
		"EQDtFpEwcFAEcRe5mLVh2N6C0x-_hJEM7W61_JLnSF74p4q2",
		"0:83dfd552e63729b472fcbcc8c45ebcc6691702558b68ec7527e1ba403a0f31a8",
		"7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV7",
		"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
	}
	for _, a := range addrs {
		log.Info("to " + a + ".")
	}
	for _, a := range addrs {
		assert.NotContains(t, buf.String(), a)
	}
}
