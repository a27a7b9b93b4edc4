// Package starter starts payout workflows. Workflow ID payout-<id> makes a
// start idempotent: a repeated request joins the running workflow instead
// of starting a second one, once the running workflow is known to be this
// payout's.
package starter

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

// Starter starts payout workflows on the payouts task queue.
type Starter struct {
	Client    client.Client
	TaskQueue string
	Timing    workflows.Timing
	// Installation is this database's ID (store.Installation): it keys the
	// fingerprint that tells this installation's workflows from others'.
	Installation string
	// LegacyBefore is when this installation got its ID: payouts created
	// before it were started without a fingerprint.
	LegacyBefore time.Time
	// DataConverter reads the memo of a running workflow; the client's
	// own (with the payload codec, when on). Nil means the SDK's default.
	DataConverter converter.DataConverter
	// Gate admits every start (gate.Gate.Admit): no payout workflow starts
	// without it.
	Gate Admitter
}

// Admitter is the payout gate's admission of a stored payout.
type Admitter interface {
	Admit(ctx context.Context, p payout.Payout, from string) error
}

// ConflictError says a workflow with the payout's ID is running for a
// different payout: another installation's, or other terms. It is never
// joined: its Heleket order_id is not ours to follow.
type ConflictError struct {
	WorkflowID string
	Reason     string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("workflow %s is running for a different payout: %s", e.WorkflowID, e.Reason)
}

// Options returns the start options of a payout's workflow.
func (s *Starter) Options(p payout.Payout) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:        payout.WorkflowID(p.ID),
		TaskQueue: s.TaskQueue,
		// A closed run may be started again (a resumed payout); Heleket's
		// order_id and the guarded transitions keep that harmless.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// A running workflow is joined only after its fingerprint matches
		// (Start), so the server must report it rather than join it.
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(workflows.SearchAttributes(p)...),
		StaticSummary:                            workflows.Summary(p),
		Memo:                                     workflows.PayoutMemo(s.Installation, p),
	}
}

// Input is the workflow input for a payout. The starter is only ever given
// stored payouts, so the workflow need not write the row again.
func (s *Starter) Input(p payout.Payout) workflows.PayoutInput {
	return workflows.PayoutInput{Payout: p, Timing: s.Timing, Persisted: true}
}

// Start starts the payout's workflow once the gate admits it (from names
// the origin: gate.From*), or joins the one already running when it is
// this payout's. A running workflow of another payout under the same ID is
// a *ConflictError.
func (s *Starter) Start(ctx context.Context, p payout.Payout, from string) (client.WorkflowRun, error) {
	if s.Gate == nil {
		return nil, fmt.Errorf("start workflow for payout %s: the starter has no payout gate", p.ID)
	}
	if err := s.Gate.Admit(ctx, p, from); err != nil {
		return nil, fmt.Errorf("start workflow for payout %s: %w", p.ID, err)
	}
	opts := s.Options(p)
	if from == gate.FromBatch {
		// A campaign row starts once: a page read it open, and if its
		// workflow closed since, that run is the row's (joined below), not
		// a reason to send its create again.
		opts.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
	}
	run, err := s.Client.ExecuteWorkflow(ctx, opts, workflows.PayoutWorkflowName, s.Input(p))
	var running *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &running) {
		if err := s.checkRunning(ctx, p); err != nil {
			return nil, err
		}
		return s.Client.GetWorkflow(ctx, payout.WorkflowID(p.ID), running.RunId), nil
	}
	if err != nil {
		return nil, fmt.Errorf("start workflow for payout %s: %w", p.ID, err)
	}
	return run, nil
}

// checkRunning compares the running workflow's fingerprint with the
// payout's.
func (s *Starter) checkRunning(ctx context.Context, p payout.Payout) error {
	id := payout.WorkflowID(p.ID)
	desc, err := s.Client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return fmt.Errorf("start workflow for payout %s: describe the running workflow: %w", p.ID, err)
	}
	field, ok := desc.GetWorkflowExecutionInfo().GetMemo().GetFields()[workflows.MemoFingerprint]
	if !ok && p.CreatedAt.Before(s.LegacyBefore) {
		// Started by the release before fingerprints, for this payout.
		return nil
	}
	if !ok {
		return &ConflictError{WorkflowID: id, Reason: "it carries no payout fingerprint (started by another installation " +
			"or an older release); check it in the Temporal UI before retrying"}
	}
	var theirs string
	if err := s.converter().FromPayload(field, &theirs); err != nil {
		return &ConflictError{WorkflowID: id, Reason: "its payout fingerprint cannot be read (" + err.Error() +
			"): another installation's payload keys?"}
	}
	if !hmac.Equal([]byte(theirs), []byte(payout.Fingerprint(s.Installation, p))) {
		return &ConflictError{WorkflowID: id, Reason: "its fingerprint differs: it belongs to another installation " +
			"sharing this Temporal namespace, or to other terms"}
	}
	return nil
}

func (s *Starter) converter() converter.DataConverter {
	if s.DataConverter != nil {
		return s.DataConverter
	}
	return converter.GetDefaultDataConverter()
}
