package activities

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// recordingAlerts is an outbox that keeps one alert per key, as the
// store's does, and refuses while failing is set.
type recordingAlerts struct {
	mu      sync.Mutex
	keys    map[string]bool
	msgs    []alert.Message
	failing bool
}

func (r *recordingAlerts) RaiseAlert(_ context.Context, a alert.Alert) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		return false, errors.New("outbox unavailable")
	}
	if r.keys[a.Key] {
		return false, nil
	}
	if r.keys == nil {
		r.keys = map[string]bool{}
	}
	r.keys[a.Key] = true
	r.msgs = append(r.msgs, a.Message.Masked())
	return true, nil
}

func (r *recordingAlerts) ApplyRaising(context.Context, payout.Change, func(payout.Payout) alert.Alert) (payout.Payout, bool, error) {
	return payout.Payout{}, false, errors.New("not in these tests")
}

type failingHeleket struct{ err error }

func (f failingHeleket) CreatePayout(context.Context, heleket.CreatePayoutRequest) (heleket.Payout, error) {
	return heleket.Payout{}, f.err
}

func (f failingHeleket) PayoutInfo(context.Context, heleket.InfoRequest) (heleket.Payout, error) {
	return heleket.Payout{}, f.err
}

type attentionStore struct {
	Store
	marks []store.Attention
}

func (s *attentionStore) MarkAttention(_ context.Context, a store.Attention) (bool, error) {
	for _, m := range s.marks {
		if m.PayoutID == a.PayoutID {
			return false, nil
		}
	}
	s.marks = append(s.marks, a)
	return true, nil
}

var testPayout = payout.Payout{ID: "po1", Asset: "USDT", Network: "tron", Amount: decimal.RequireFromString("1"),
	Address: "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"}

// Credentials or a base URL Heleket refuses alert an operator at once, but
// one alert per kind stands for every payout hitting the same wall.
func TestConfigurationErrorsAlertOncePerKind(t *testing.T) {
	alerts := &recordingAlerts{}
	for _, tc := range []struct {
		err  error
		kind string
	}{
		{&heleket.AuthError{Endpoint: heleket.PathCreatePayout, HTTPStatus: 401}, "heleket_auth"},
		{&heleket.EndpointError{Endpoint: heleket.PathCreatePayout, HTTPStatus: 404}, "heleket_endpoint"},
	} {
		a := &Activities{Heleket: failingHeleket{tc.err}, Alerts: alerts, Store: &attentionStore{}}
		for range 3 {
			_, err := a.Submit(context.Background(), testPayout)
			require.Error(t, err)
		}
		_, err := a.Status(context.Background(), "po1")
		require.Error(t, err)
	}
	require.Len(t, alerts.msgs, 2)
	assert.Equal(t, "heleket_auth", alerts.msgs[0].Kind)
	assert.Equal(t, "heleket_endpoint", alerts.msgs[1].Kind)
	assert.NotContains(t, alerts.msgs[0].Text, testPayout.Address)
}

// A create whose answer keeps failing to decode is flagged on its fifth
// attempt, with Heleket's answer (address masked) in the audit row.
func TestMalformedAnswersFlagThePayoutAfterFiveAttempts(t *testing.T) {
	alerts := &recordingAlerts{}
	st := &attentionStore{}
	raw := []byte(`{"state":0,"result":{"address":"TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW","status":""}}`)
	a := &Activities{Store: st, Alerts: alerts,
		Heleket: failingHeleket{&heleket.MalformedError{Endpoint: heleket.PathCreatePayout, HTTPStatus: 200, Reason: "result has no uuid", Raw: raw}}}
	for attempt := int32(1); attempt <= 4; attempt++ {
		a.afterFailure(context.Background(), "po1", attempt, a.Heleket.(failingHeleket).err)
	}
	assert.Empty(t, st.marks, "a few failures retry quietly")
	a.afterFailure(context.Background(), "po1", AttentionAfter, a.Heleket.(failingHeleket).err)
	require.Len(t, st.marks, 1)
	assert.Contains(t, st.marks[0].Reason, "failed 5 times")
	assert.Equal(t, map[string]any{"state": float64(0), "result": map[string]any{"address": "TQrZ…AbpW", "status": ""}},
		st.marks[0].Details["heleket_answer"])
	require.Len(t, alerts.msgs, 1)
	assert.Equal(t, "heleket_calls_failing", alerts.msgs[0].Kind)
}

// An alert the outbox could not take is raised by the next failed call,
// not held back for the spacing window.
func TestAConfigurationAlertTheOutboxRefusedIsRaisedByTheNextCall(t *testing.T) {
	alerts := &recordingAlerts{failing: true}
	a := &Activities{Heleket: failingHeleket{&heleket.AuthError{Endpoint: heleket.PathCreatePayout, HTTPStatus: 401}},
		Alerts: alerts, Store: &attentionStore{}}
	_, err := a.Submit(context.Background(), testPayout)
	require.Error(t, err)
	assert.Empty(t, alerts.msgs)
	alerts.failing = false
	_, err = a.Submit(context.Background(), testPayout)
	require.Error(t, err)
	require.Len(t, alerts.msgs, 1)
	assert.Equal(t, "heleket_auth", alerts.msgs[0].Kind)
}

// A flag already set (by an attempt that died before its alert) still
// raises the alert; a flag of the same kind again raises nothing more.
func TestFlagAttentionRaisesItsAlertOncePerPayoutAndKind(t *testing.T) {
	alerts := &recordingAlerts{}
	st := &attentionStore{marks: []store.Attention{{PayoutID: "po1"}}}
	a := &Activities{Store: st, Alerts: alerts}
	req := AttentionRequest{PayoutID: "po1", Kind: metrics.AttentionMismatch, Reason: "Heleket holds a different payout"}
	require.NoError(t, a.FlagAttention(context.Background(), req))
	require.NoError(t, a.FlagAttention(context.Background(), req))
	require.Len(t, alerts.msgs, 1)
	assert.Equal(t, "heleket_mismatch", alerts.msgs[0].Kind)
	assert.Equal(t, "po1", alerts.msgs[0].PayoutID)

	alerts.failing = true
	assert.Error(t, a.FlagAttention(context.Background(), AttentionRequest{PayoutID: "po1", Kind: KindCallsFailing, Reason: "x"}),
		"an alert not stored fails the activity, which is retried")
}
