package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/codec"
	"github.com/heleket-payouts/payouts/workflows"
)

func TestCLICommandsFindTheDevPayloadKeys(t *testing.T) {
	dir := t.TempDir()
	keys, err := codec.GenerateKey("dev1")
	require.NoError(t, err)
	keyFile := filepath.Join(dir, devKeyFile)
	require.NoError(t, os.WriteFile(keyFile, []byte(keys+"\n"), 0o600))
	t.Setenv("PAYOUTS_DEV_DIR", dir)
	t.Setenv("PAYLOAD_KEYS", "")

	var stderr bytes.Buffer
	cfg, err := loadCLIConfig(&stderr)
	require.NoError(t, err)
	assert.Equal(t, keys, cfg.PayloadKeys, "a make dev stack's keys are found without PAYLOAD_KEYS")
	assert.Contains(t, stderr.String(), keyFile, "and the command says where they came from")

	set, err := codec.GenerateKey("prod1")
	require.NoError(t, err)
	t.Setenv("PAYLOAD_KEYS", set)
	stderr.Reset()
	cfg, err = loadCLIConfig(&stderr)
	require.NoError(t, err)
	assert.Equal(t, set, cfg.PayloadKeys, "PAYLOAD_KEYS wins")
	assert.Empty(t, stderr.String())

	t.Setenv("PAYLOAD_KEYS", "")
	t.Setenv("PAYOUTS_DEV_DIR", filepath.Join(dir, "none"))
	cfg, err = loadCLIConfig(&stderr)
	require.NoError(t, err)
	assert.Empty(t, cfg.PayloadKeys, "no dev stack, no keys")
	assert.Empty(t, stderr.String())
	assert.NoDirExists(t, filepath.Join(dir, "none"), "a CLI command creates no dev state")
}

// A reconciliation run that lasts longer than a progress tick, followed by
// a CLI without the payload keys: the progress query's answer is encrypted.
func TestFollowStopsWhenPayloadsAreEncrypted(t *testing.T) {
	keys, err := codec.GenerateKey("dev1")
	require.NoError(t, err)
	c, err := codec.New(keys, "")
	require.NoError(t, err)
	encrypted, err := c.DataConverter().ToPayloads(workflows.ReconcileProgress{Status: "running"})
	require.NoError(t, err)
	tc := &encryptedQueries{answer: encodedValue{payloads: encrypted, dc: converter.GetDefaultDataConverter()}}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a bound on a hang, not a measure
	defer cancel()
	var out bytes.Buffer
	err = follow(ctx, tc, workflows.ReconcileManualID, &out)
	require.Error(t, err)
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "an undecodable answer ends the command instead of waiting")
	assert.ErrorContains(t, err, "payloads are encrypted: set PAYLOAD_KEYS (make dev keeps them in .dev/payload-keys)")
}

// A run that failed, seen by a CLI without the keys: the failure's message
// is encrypted, and "Encoded failure" alone tells an operator nothing.
func TestFollowExplainsAnEncryptedFailure(t *testing.T) {
	keys, err := codec.GenerateKey("dev1")
	require.NoError(t, err)
	c, err := codec.New(keys, "")
	require.NoError(t, err)
	failure := c.FailureConverter().ErrorToFailure(errors.New("lease lost"))
	runErr := temporal.GetDefaultFailureConverter().FailureToError(failure)
	require.ErrorContains(t, runErr, "Encoded failure", "what the SDK shows without the keys")
	tc := &encryptedQueries{run: failedRun{err: runErr}}

	err = follow(context.Background(), tc, workflows.ReconcileManualID, io.Discard)
	assert.ErrorContains(t, err, "payloads are encrypted: set PAYLOAD_KEYS (make dev keeps them in .dev/payload-keys)")
}

// encryptedQueries is a Temporal client whose workflow never ends and whose
// queries answer with payloads this process cannot decode.
type encryptedQueries struct {
	client.Client
	answer converter.EncodedValue
	run    client.WorkflowRun // nil: running for ever
}

func (c *encryptedQueries) GetWorkflow(context.Context, string, string) client.WorkflowRun {
	if c.run != nil {
		return c.run
	}
	return runningForever{}
}

func (c *encryptedQueries) QueryWorkflow(context.Context, string, string, string, ...any) (converter.EncodedValue, error) {
	return c.answer, nil
}

type runningForever struct{ client.WorkflowRun }

func (runningForever) Get(ctx context.Context, _ any) error {
	<-ctx.Done()
	return ctx.Err()
}

type failedRun struct {
	client.WorkflowRun
	err error
}

func (r failedRun) Get(context.Context, any) error { return r.err }

type encodedValue struct {
	payloads *commonpb.Payloads
	dc       converter.DataConverter
}

func (v encodedValue) HasValue() bool    { return v.payloads != nil }
func (v encodedValue) Get(ptr any) error { return v.dc.FromPayloads(v.payloads, ptr) }
