package starter

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

// What reconciliation does to payout workflows from outside. A workflow
// that is closed or was never started answers NotFound to a signal; these
// methods turn that into delivered=false rather than an error.

// Running reports whether the payout's workflow is running.
func (s *Starter) Running(ctx context.Context, payoutID string) (bool, error) {
	resp, err := s.Client.DescribeWorkflowExecution(ctx, payout.WorkflowID(payoutID), "")
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe workflow of payout %s: %w", payoutID, err)
	}
	return resp.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}

// Resume starts the payout's workflow again from its stored record; a
// running workflow is joined instead (see Options).
func (s *Starter) Resume(ctx context.Context, p payout.Payout) error {
	_, err := s.Start(ctx, p, gate.FromRestart)
	return err
}

// SendUpdate hands the running workflow a status read from Heleket.
func (s *Starter) SendUpdate(ctx context.Context, payoutID string, upd payout.HeleketUpdate) (bool, error) {
	return s.signal(ctx, payoutID, workflows.SignalHeleketUpdate, upd)
}

// FlagAttention asks the running workflow to set PayoutNeedsAttention.
func (s *Starter) FlagAttention(ctx context.Context, payoutID, reason string) (bool, error) {
	return s.signal(ctx, payoutID, workflows.SignalNeedsAttention, workflows.Attention{Reason: reason})
}

func (s *Starter) signal(ctx context.Context, payoutID, name string, arg any) (bool, error) {
	err := s.Client.SignalWorkflow(ctx, payout.WorkflowID(payoutID), "", name, arg)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("signal %s to payout %s: %w", name, payoutID, err)
	}
	return true, nil
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
