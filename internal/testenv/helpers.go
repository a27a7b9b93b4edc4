package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

func bytesReader(b []byte) io.Reader {
	if b == nil {
		return nil
	}
	return bytes.NewReader(b)
}

// Decode reads a JSON response body and closes it.
func Decode[T any](e *Env, resp *http.Response) T {
	e.T.Helper()
	defer resp.Body.Close()
	var v T
	require.NoError(e.T, json.NewDecoder(resp.Body).Decode(&v))
	return v
}

// WaitFinal waits for the payout's workflow to finish and returns the stored
// record. It waits on the workflow itself, not on a clock.
func (e *Env) WaitFinal(id string) payout.Payout {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := e.Temporal.GetWorkflow(ctx, payout.WorkflowID(id), "")
	require.NoError(e.T, run.Get(ctx, nil), "payout workflow %s", id)
	p, err := e.Store.GetPayout(ctx, id)
	require.NoError(e.T, err)
	return p
}

// Trail is the payout's audit trail as "source:from->to" strings.
func (e *Env) Trail(id string) []string {
	e.T.Helper()
	events, err := e.Store.Events(context.Background(), id)
	require.NoError(e.T, err)
	out := make([]string, 0, len(events))
	for _, ev := range events {
		out = append(out, string(ev.Source)+":"+string(ev.From)+"->"+string(ev.To))
	}
	return out
}

// WaitState queries the payout's workflow until ready says yes; the state
// query answers what the workflow does right now, which no clock can say.
func (e *Env) WaitState(id string, ready func(workflows.PayoutState) bool) workflows.PayoutState {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var st workflows.PayoutState
	for {
		v, err := e.Temporal.QueryWorkflow(ctx, payout.WorkflowID(id), "", workflows.QueryState)
		if err == nil && v.Get(&st) == nil && ready(st) {
			return st
		}
		select {
		case <-ctx.Done():
			e.T.Fatalf("payout %s never reached the state wanted; last: %+v (%v); sandbox %+v", id, st, err, e.Sandbox.Stats())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
