package usecase

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// BatchCreated is a campaign a request stored (or found stored).
type BatchCreated struct {
	ID       string
	Replayed bool
}

// CreateBatch checks every row, makes the payouts through the gate, and
// hands the campaign to its workflow (batch-<id>), which starts the rows
// page by page, each through the gate. All errors of all rows come back at
// once, and then nothing is stored. The workflow is started before the
// rows are committed and waits for them, so a crash between the two leaves
// no stored campaign without a workflow to start it. A repeat with the same
// rows answers the stored campaign; with other rows it is a conflict.
func (s *Service) CreateBatch(ctx context.Context, key string, rows []batch.Row, actor access.Actor) (BatchCreated, error) {
	if err := access.Need(actor, access.Initiator, "create a campaign"); err != nil {
		return BatchCreated{}, err
	}
	valid, batchErrs, rowErrs := batch.Validate(key, rows, s.gate.Policy.Limits)
	fingerprint := batch.Fingerprint(valid)
	if batchErrs.Empty() && len(rowErrs) == 0 {
		existing, found, err := s.storedBatch(ctx, key)
		if err != nil {
			return BatchCreated{}, err
		}
		if found {
			return s.repeatBatch(ctx, existing, fingerprint)
		}
	}
	payouts, err := s.gate.BatchPayouts(ctx, key, valid, rowErrs, actor.Name)
	if err != nil {
		return BatchCreated{}, err
	}
	if !batchErrs.Empty() || len(rowErrs) > 0 {
		msg := "invalid batch"
		if len(rowErrs) > 0 {
			msg = fmt.Sprintf("invalid batch: %d of %d rows have errors", len(rowErrs), len(rows))
		}
		return BatchCreated{}, &InvalidError{Message: msg, Fields: batchErrs, Rows: rowErrs}
	}
	b := store.Batch{ID: batch.ID(s.Installation(), key), IdempotencyKey: key, Fingerprint: fingerprint,
		RowCount: len(payouts), RequestedBy: actor.Name}
	if err := s.startBatchWorkflow(ctx, b, 0); err != nil {
		return BatchCreated{ID: b.ID}, err
	}
	stored, created, err := s.gate.MakeBatch(ctx, b, payouts)
	var refused *gate.BatchRefusal
	if errors.As(err, &refused) {
		s.log.WarnContext(ctx, "campaign refused by a money control", "batch_id", b.ID, "rows", len(refused.Rows), "reason", refused.Message)
		return BatchCreated{}, s.refusedBatch(ctx, b, refused)
	}
	if err != nil {
		return BatchCreated{}, fmt.Errorf("store batch: %w", err)
	}
	if !created {
		// A concurrent identical request committed first.
		return s.repeatBatch(ctx, stored, fingerprint)
	}
	s.log.InfoContext(ctx, "campaign accepted", "batch_id", stored.ID, "rows", stored.RowCount)
	return BatchCreated{ID: stored.ID}, nil
}

// refusedBatch answers a campaign the money controls refused, and ends
// the workflow the request started for it (it would wait for rows that
// never come, then fail).
func (s *Service) refusedBatch(ctx context.Context, b store.Batch, r *gate.BatchRefusal) error {
	refusal := &InvalidError{Message: r.Message, Fields: r.Fields, Rows: r.Rows}
	// A concurrent request with the same key may have stored the campaign
	// (and own the workflow this one found running): leave it alone.
	if _, found, err := s.storedBatch(ctx, b.IdempotencyKey); err != nil || found {
		return refusal
	}
	err := s.temporal.TerminateWorkflow(ctx, workflows.BatchWorkflowID(b.ID), "", "campaign refused by the money controls: "+r.Message)
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		// Left running, its first page gives up once it sees no rows.
		s.log.WarnContext(ctx, "end the workflow of a refused campaign", "batch_id", b.ID, "error", err)
	}
	return refusal
}

// storedBatch finds the batch of a key: this installation's, or one stored
// before installation IDs existed.
func (s *Service) storedBatch(ctx context.Context, key string) (store.Batch, bool, error) {
	for _, id := range []string{batch.ID(s.Installation(), key), batch.ID("", key)} {
		b, err := s.store.GetBatch(ctx, id)
		if err == nil {
			return b, true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.Batch{}, false, fmt.Errorf("load batch %s: %w", id, err)
		}
	}
	return store.Batch{}, false, nil
}

// repeatBatch handles a batch key seen before: the same rows make sure
// its workflow runs (a campaign stored before campaigns were workflows, or
// one whose workflow gave up), different rows conflict.
func (s *Service) repeatBatch(ctx context.Context, existing store.Batch, fingerprint []byte) (BatchCreated, error) {
	if !bytes.Equal(existing.Fingerprint, fingerprint) {
		return BatchCreated{}, conflict("Idempotency-Key already used for a different batch")
	}
	return BatchCreated{ID: existing.ID, Replayed: true}, s.startBatchWorkflow(ctx, existing, 0)
}

// AdoptStoredCampaigns starts a workflow for every campaign still starting
// rows that has none: those stored before campaigns were workflows
// (migration 00011 left them starting, and reconciliation no longer starts
// campaign rows). The workflow begins with the rows already started
// counted, and starts only the rest; a campaign whose workflow exists is
// its workflow's. It returns how many campaigns it adopted; the worker
// calls it when it starts, so an upgrade needs no step of its own.
func (s *Service) AdoptStoredCampaigns(ctx context.Context) (int, error) {
	list, err := s.store.StartingBatches(ctx)
	if err != nil {
		return 0, fmt.Errorf("adopt stored campaigns: %w", err)
	}
	adopted := 0
	for _, b := range list {
		_, err := s.temporal.DescribeWorkflowExecution(ctx, workflows.BatchWorkflowID(b.ID), "")
		var nf *serviceerror.NotFound
		if err == nil {
			continue
		}
		if !errors.As(err, &nf) {
			return adopted, fmt.Errorf("adopt campaign %s: describe its workflow: %w", b.ID, err)
		}
		if err := s.startBatchWorkflow(ctx, b.Batch, b.Started); err != nil {
			return adopted, fmt.Errorf("adopt campaign %s: %w", b.ID, err)
		}
		s.log.InfoContext(ctx, "campaign stored without a workflow: its workflow now starts its rows",
			"batch_id", b.ID, "rows", b.RowCount, "already_started", b.Started)
		adopted++
	}
	return adopted, nil
}

// startBatchWorkflow starts the campaign's workflow, or finds it running
// or done; started counts its rows started before it (an adopted one).
func (s *Service) startBatchWorkflow(ctx context.Context, b store.Batch, started int) error {
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.BatchWorkflowID(b.ID), TaskQueue: s.starter.TaskQueue,
		// A campaign whose workflow failed (its rows never stored) may be
		// started again by the repeated request; a finished one is done.
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            fmt.Sprintf("campaign %s: %d rows, requested by %s", b.ID, b.RowCount, b.RequestedBy),
	}, workflows.BatchWorkflowName, workflows.BatchInput{BatchID: b.ID, Rows: b.RowCount, Started: started,
		PageSize: s.batchPageSize})
	var done *serviceerror.WorkflowExecutionAlreadyStarted
	if err == nil || errors.As(err, &done) {
		return nil
	}
	return unavailable("campaign not started yet; repeat the request with the same Idempotency-Key", err)
}

// Campaign decisions.
const (
	BatchPause   = workflows.UpdateBatchPause
	BatchResume  = workflows.UpdateBatchResume
	BatchCancel  = workflows.UpdateBatchCancel
	BatchApprove = workflows.UpdateBatchApprove
	BatchReject  = workflows.UpdateBatchReject
)

// batchDecisionRoles is the role each campaign decision needs.
var batchDecisionRoles = map[string]access.Role{
	BatchPause: access.Operator, BatchResume: access.Operator, BatchCancel: access.Operator,
	BatchApprove: access.Approver, BatchReject: access.Approver,
}

// DecideBatch pauses, resumes or cancels a campaign through its workflow,
// which records the decision with its audit row. Repeating the state the
// campaign is in changes nothing; a campaign whose rows have all started
// (or that was cancelled) refuses the others with the reason.
func (s *Service) DecideBatch(ctx context.Context, batchID, decision string, actor access.Actor, reason string) (store.Batch, error) {
	if err := needFor(actor, batchDecisionRoles, decision, "campaign"); err != nil {
		return store.Batch{}, err
	}
	b, err := s.store.GetBatch(ctx, batchID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Batch{}, notFound("batch")
	}
	if err != nil {
		return store.Batch{}, fmt.Errorf("load batch %s: %w", batchID, err)
	}
	if decision == BatchApprove || decision == BatchReject {
		if err := access.NotInitiator(actor, b.RequestedBy); err != nil {
			return store.Batch{}, err
		}
	}
	if err := s.sendBatchDecision(ctx, b, decision, workflows.BatchDecision{Actor: actor.Name, Reason: reason}); err != nil {
		return store.Batch{}, err
	}
	s.log.InfoContext(ctx, "campaign decision", "batch_id", batchID, "decision", decision, "actor", actor.Name)
	return s.store.GetBatch(ctx, batchID)
}

func (s *Service) sendBatchDecision(ctx context.Context, b store.Batch, decision string, d workflows.BatchDecision) error {
	ctx, cancel := context.WithTimeout(ctx, decisionTimeout)
	defer cancel()
	handle, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.BatchWorkflowID(b.ID), UpdateName: decision, Args: []any{d},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		var p workflows.BatchProgress
		err = handle.Get(ctx, &p)
	}
	var nf *serviceerror.NotFound
	switch {
	case err == nil:
		return nil
	case errors.As(err, &nf):
		return s.closedBatchDecision(b, decision)
	case ctx.Err() != nil:
		return unavailable("the decision could not be confirmed in time; check the campaign before retrying", err)
	}
	return conflict(workflowMessage(err))
}

// closedBatchDecision answers a decision on a campaign whose workflow has
// ended: repeating its final state is idempotent, anything else too late.
func (s *Service) closedBatchDecision(b store.Batch, decision string) error {
	if (decision == BatchCancel || decision == BatchReject) && b.State == store.BatchCancelled {
		return nil
	}
	return conflict("the campaign is " + string(b.State) + ": every row has started or it was cancelled; started payouts go on")
}
