package usecase

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/starter"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// Created is a payout a create request stored (or found stored).
type Created struct {
	Payout payout.Payout
	// Replayed: the request repeated an earlier one, which made the payout.
	Replayed bool
}

// CreatePayout makes a payout through the gate, stores it with its audit
// row, and starts its workflow. Both steps are idempotent: a client that
// retries after any failure converges on the same payout and workflow.
func (s *Service) CreatePayout(ctx context.Context, req payout.Request, actor access.Actor) (Created, error) {
	if err := access.Need(actor, access.Initiator, "create a payout"); err != nil {
		return Created{}, err
	}
	v, refusal := s.gate.Validate(req)
	if refusal != nil {
		return Created{}, invalid(refusal.Message, refusal.Fields)
	}
	p, err := s.gate.APIPayout(ctx, v, actor.Name)
	var refused *gate.Refusal
	if errors.As(err, &refused) {
		return Created{}, invalid(refused.Message, refused.Fields)
	}
	if err != nil {
		return Created{}, err
	}
	stored, created, err := s.gate.Make(ctx, p, gate.FromAPI, p.RequestedBy, map[string]any{"via": "api"}, false)
	if errors.As(err, &refused) {
		s.log.WarnContext(ctx, "payout refused by a money control", "client_id", p.ClientID, "asset", p.Asset,
			"kind", refused.Kind, "reason", refused.Message)
		return Created{}, invalid(refused.Message, refused.Fields)
	}
	if err != nil {
		return Created{}, err
	}
	if !created && !samePayout(stored, p) {
		return Created{}, conflict("Idempotency-Key already used for a different payout request")
	}
	if !stored.Status.Final() {
		if err := s.start(ctx, stored, gate.FromAPI); err != nil {
			return Created{}, err
		}
	}
	return Created{Payout: stored, Replayed: !created}, nil
}

// start starts a stored payout's workflow. A workflow ID taken by another
// payout is a conflict; an unreachable Temporal leaves the row requested,
// for a retry of the request or reconciliation.
func (s *Service) start(ctx context.Context, p payout.Payout, from string) error {
	_, err := s.starter.Start(ctx, p, from)
	var taken *starter.ConflictError
	if errors.As(err, &taken) {
		s.log.ErrorContext(ctx, "payout workflow ID taken by another payout", "error", err)
		return conflict("payout not started: " + taken.Error())
	}
	if err != nil {
		s.log.ErrorContext(ctx, "start payout workflow", "error", err)
		return unavailable("payout recorded but not started yet; retry the request with the same Idempotency-Key", err)
	}
	return nil
}

func samePayout(a, b payout.Payout) bool {
	return a.ClientID == b.ClientID && a.Asset == b.Asset && a.Network == b.Network &&
		a.Amount.Equal(b.Amount) && a.Address == b.Address && a.Memo == b.Memo && a.Origin == b.Origin
}

// Decisions an admin can take on a payout.
const (
	DecideApprove = workflows.UpdateApprove
	DecideReject  = workflows.UpdateReject
	DecideCancel  = workflows.UpdateCancel
)

// decisionTimeout bounds waiting for the workflow to record a decision.
const decisionTimeout = 30 * time.Second

// decisionRoles is the role each payout decision needs.
var decisionRoles = map[string]access.Role{
	DecideApprove: access.Approver, DecideReject: access.Approver, DecideCancel: access.Operator,
}

// Decide sends an admin decision (approve, reject, cancel) to the payout's
// workflow as a Temporal Update. The approver is never the payout's
// initiator; the workflow's validator refuses what is no longer possible
// (cancel after submission), and then nothing is written: that refusal is
// a conflict with its reason.
func (s *Service) Decide(ctx context.Context, payoutID, decision string, actor access.Actor, reason string) (payout.Payout, error) {
	if err := needFor(actor, decisionRoles, decision, "payout"); err != nil {
		return payout.Payout{}, err
	}
	p, err := s.store.GetPayout(ctx, payoutID)
	if errors.Is(err, store.ErrNotFound) {
		return payout.Payout{}, notFound("payout")
	}
	if err != nil {
		return payout.Payout{}, err
	}
	if p.Status.Final() {
		return payout.Payout{}, conflict("payout is already " + string(p.Status))
	}
	if decision == DecideApprove {
		if err := access.NotInitiator(actor, p.RequestedBy); err != nil {
			return payout.Payout{}, err
		}
		if err := s.notWalletChanger(ctx, p, actor); err != nil {
			return payout.Payout{}, err
		}
	}
	if err := s.sendDecision(ctx, p.ID, decision, workflows.Decision{Actor: actor.Name, Reason: reason}); err != nil {
		return payout.Payout{}, err
	}
	s.log.InfoContext(ctx, "decision recorded", "payout_id", p.ID, "update", decision, "actor", actor.Name)
	stored, err := s.store.GetPayout(ctx, p.ID)
	if err != nil {
		return payout.Payout{}, errors.Join(errors.New("decision recorded, but the payout could not be reloaded"), err)
	}
	return stored, nil
}

func (s *Service) sendDecision(ctx context.Context, payoutID, decision string, d workflows.Decision) error {
	ctx, cancel := context.WithTimeout(ctx, decisionTimeout)
	defer cancel()
	handle, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: payout.WorkflowID(payoutID), UpdateName: decision, Args: []any{d},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		var st workflows.PayoutState
		err = handle.Get(ctx, &st)
	}
	var nf *serviceerror.NotFound
	switch {
	case err == nil:
		return nil
	case errors.As(err, &nf):
		return conflict("payout's workflow is not running; nothing to decide")
	case ctx.Err() != nil:
		s.log.ErrorContext(ctx, "decision: update workflow", "payout_id", payoutID, "update", decision, "error", err)
		return unavailable("the decision could not be confirmed in time; check the payout before retrying", err)
	}
	// The workflow refused: its validator's reason is the answer.
	reason := workflowMessage(err)
	s.log.InfoContext(ctx, "decision refused", "payout_id", payoutID, "update", decision, "reason", reason)
	return conflict(reason)
}

// workflowMessage is the workflow's own message, without Temporal's
// wrapping.
func workflowMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}

// notWalletChanger keeps four eyes on a destination: a payout held for its
// wallet's change is never released by the admin who made the change.
func (s *Service) notWalletChanger(ctx context.Context, p payout.Payout, actor access.Actor) error {
	if p.WaitingFor == nil || p.WaitingFor.Kind != payout.WaitDestination {
		return nil
	}
	w, err := s.store.GetWallet(ctx, store.WalletAt{ClientID: p.ClientID, Asset: p.Asset, Network: p.Network, Address: p.Address})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return access.NotInitiator(actor, w.ChangedBy)
}
