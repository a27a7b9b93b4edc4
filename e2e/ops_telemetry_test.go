package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/heleket-payouts/payouts/codec"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

func TestCodecKeepsAddressesOutOfTemporalHistoryAndDecodesForOperators(t *testing.T) {
	key, err := codec.GenerateKey("e2e-1")
	require.NoError(t, err)
	c, err := codec.New(key, "")
	require.NoError(t, err)
	e := testenv.New(t, testenv.Options{Codec: c})
	p := accepted(t, e, "42", "codec-"+t.Name(), body("100.50", tronAddress))
	require.Equal(t, payout.StatusPaid, e.WaitFinal(p.ID).Status)

	// The history as the Temporal server stores it, read without the codec.
	events := opsHistory(t, e.RawTemporal(), payout.WorkflowID(p.ID))
	require.NotEmpty(t, events)
	var raw []byte
	for _, ev := range events {
		b, err := proto.Marshal(ev)
		require.NoError(t, err)
		raw = append(raw, b...)
	}
	assert.False(t, bytes.Contains(raw, []byte(tronAddress)), "no plaintext address in the raw history")
	assert.False(t, bytes.Contains(raw, []byte("USDT 100.5 on tron")), "the summary, with its amount, is encrypted too")
	assert.True(t, bytes.Contains(raw, []byte(codec.EncodingEncrypted)))

	// Visibility still works: search attributes are never encrypted.
	opsSearchAttr(t, e, p.ID, "PayoutStatus", "paid")

	input := events[0].GetWorkflowExecutionStartedEventAttributes().GetInput()
	require.NotNil(t, input)
	body, err := protojson.Marshal(input)
	require.NoError(t, err)

	// The codec endpoint decodes for an operator holding a token (the CLI's
	// --codec-auth) and for the Web UI through its path token.
	for name, req := range map[string]*http.Request{
		"bearer":     opsCodecRequest(t, e.API.URL+"/codec/decode", "Bearer "+testenv.AdminToken, body),
		"path token": opsCodecRequest(t, e.API.URL+"/codec/"+testenv.CodecToken+"/decode", "", body),
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, testenv.UIOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			var decoded commonpb.Payloads
			require.NoError(t, protojson.Unmarshal(b, &decoded))
			var in workflows.PayoutInput
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(&decoded, &in))
			assert.Equal(t, tronAddress, in.Payout.Address)
			assert.Equal(t, "100.5", in.Payout.Amount.String())
		})
	}
	resp, err := http.DefaultClient.Do(opsCodecRequest(t, e.API.URL+"/codec/decode", "", body))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no token, no plaintext")
}

func opsCodecRequest(t *testing.T, url, auth string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", testenv.UIOrigin)
	req.Header.Set("X-Namespace", "default")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return req
}

func opsSearchAttr(t *testing.T, e *testenv.Env, id, name, want string) {
	t.Helper()
	desc, err := e.Temporal.DescribeWorkflowExecution(context.Background(), payout.WorkflowID(id), "")
	require.NoError(t, err)
	v := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[name]
	require.NotNil(t, v, name)
	assert.Equal(t, want, opsString(t, converter.GetDefaultDataConverter(), v))
}

// idLike is the shape of payout ids: 32 characters of [A-Za-z0-9_-].
var idLike = regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`)

func TestMetricsExposeProductMetricsWithBoundedLabels(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := accepted(t, e, "42", "metrics-"+t.Name(), body("100.50", tronAddress))
	final := e.WaitFinal(p.ID)
	require.Equal(t, payout.StatusPaid, final.Status)
	forged := signedWebhook(final.HeleketUUID, p.ID, "paid", true)
	forged = strings.Replace(forged, `"sign":"`, `"sign":"0`, 1)
	opsPostWebhook(t, e, forged, http.StatusUnauthorized)
	opsPostWebhook(t, e, signedWebhook("11111111-0000-4000-8000-000000000000", "no-such-order-"+p.ID[:8], "paid", true), http.StatusOK)

	fams := opsScrape(t, e.API.URL+"/metrics")
	opsSeries(t, fams, "payouts_started_total", map[string]string{"asset": "USDT", "network": "tron", "origin": "manual"})
	opsSeries(t, fams, "payouts_finished_total", map[string]string{"status": "paid", "asset": "USDT", "network": "tron"})
	opsSeries(t, fams, "payouts_time_to_final_seconds", map[string]string{"status": "paid", "asset": "USDT"})
	for _, outcome := range []string{"ok", "bad_signature", "unknown"} {
		m := opsSeries(t, fams, "payouts_webhooks_received_total", map[string]string{"outcome": outcome})
		assert.Positive(t, m.GetCounter().GetValue(), outcome)
	}
	opsSeries(t, fams, "payouts_heleket_request_duration_seconds", map[string]string{"endpoint": "/v1/payout", "outcome": "ok"})
	opsSeries(t, fams, "payouts_heleket_request_duration_seconds", map[string]string{"endpoint": "/v1/payout/info", "outcome": "ok"})
	sdk := 0
	for name := range fams {
		if strings.HasPrefix(name, "temporal_") {
			sdk++
		}
	}
	assert.Positive(t, sdk, "Temporal SDK metrics are exported")
	opsSeries(t, fams, "temporal_workflow_completed_total", map[string]string{"task_queue": e.TaskQueue, "workflow_type": workflows.PayoutWorkflowName})

	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				v := l.GetValue()
				assert.False(t, idLike.MatchString(v), "%s{%s=%q} looks like an id", name, l.GetName(), v)
				assert.NotContains(t, v, p.ID, name)
				assert.NotContains(t, v, tronAddress, name)
			}
		}
	}
}

func opsPostWebhook(t *testing.T, e *testenv.Env, body string, want int) {
	t.Helper()
	resp, err := http.Post(e.API.URL+"/payouts/webhook", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, want, resp.StatusCode)
}

func opsScrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

// opsSeries finds the series with exactly these labels.
func opsSeries(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	f, ok := fams[name]
	require.True(t, ok, "metric %s missing", name)
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			if l.GetValue() != "" {
				got[l.GetName()] = l.GetValue()
			}
		}
		match := true
		for k, v := range labels {
			match = match && got[k] == v
		}
		if match && (strings.HasPrefix(name, "temporal_") || len(got) == len(labels)) {
			return m
		}
	}
	t.Fatalf("%s has no series with labels %v", name, labels)
	return nil
}

func TestLogsCarryPayoutIDsAndNeverSecretsOrAddresses(t *testing.T) {
	var logs testenv.LogBuffer
	e := testenv.New(t, testenv.Options{Logs: &logs})
	p := accepted(t, e, "42", "logs-"+t.Name(), body("100.50", tronAddress))
	final := e.WaitFinal(p.ID)
	require.Equal(t, payout.StatusPaid, final.Status)
	forged := strings.Replace(signedWebhook(final.HeleketUUID, p.ID, "fail", true), `"sign":"`, `"sign":"0`, 1)
	opsPostWebhook(t, e, forged, http.StatusUnauthorized)
	resp := e.Do(http.MethodGet, "/payouts/"+p.ID, nil, nil)
	resp.Body.Close()

	out := logs.String()
	for _, secret := range []string{tronAddress, testenv.APIKey, testenv.AdminToken, testenv.SecondAdminToken} {
		assert.NotContains(t, out, secret)
	}
	var about, accepted, sdk, requests int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), "every line is JSON: %s", line)
		if m["msg"] == "http request" {
			requests++
			assert.NotEmpty(t, m["request_id"], line)
		}
		if !strings.Contains(line, p.ID) {
			continue
		}
		about++
		assert.Equal(t, p.ID, m["payout_id"], "a line about the payout carries its id: %s", line)
		if m["msg"] == "payout accepted" {
			accepted++
			assert.NotEmpty(t, m["request_id"], line)
			assert.Equal(t, payout.WorkflowID(p.ID), m["workflow_id"])
		}
		if m["WorkflowID"] != nil {
			sdk++
		}
	}
	assert.Equal(t, 1, accepted, "the API logs the accepted payout")
	assert.Positive(t, sdk, "the SDK's workflow and activity lines name the payout")
	assert.Positive(t, requests)
	assert.Greater(t, about, accepted+sdk-1)
}
