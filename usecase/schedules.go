package usecase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/schedule"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// Schedule is a recurring payout: the definition from Postgres, the state
// from Temporal.
type Schedule struct {
	store.Schedule
	Spec schedule.Spec
	// State is active or paused, or missing while the Temporal schedule
	// does not exist (a create that failed half-way: repeat it).
	State    string
	Note     string
	NextRuns []time.Time // none while paused: nothing runs until resumed
	Runs     int
}

// CreateSchedule checks the definition, stores it and creates its Temporal
// schedule. A repeat with the same terms answers the stored schedule
// (Replayed); other terms under the same name are a conflict.
func (s *Service) CreateSchedule(ctx context.Context, clientID string, req schedule.Request, actor access.Actor) (Schedule, bool, error) {
	if err := access.Need(actor, access.Initiator, "create a schedule"); err != nil {
		return Schedule{}, false, err
	}
	def, spec, fields := schedule.Validate(clientID, req, s.gate.Policy.Limits)
	if !fields.Empty() {
		return Schedule{}, false, invalid("invalid payout schedule", fields)
	}
	row, err := s.scheduleRow(ctx, def, actor.Name)
	if err != nil {
		return Schedule{}, false, err
	}
	row.ApprovalState, row.ApprovalReason = s.scheduleApproval(def, spec)
	stored, created, err := s.store.CreateSchedule(ctx, row)
	if err != nil {
		return Schedule{}, false, fmt.Errorf("store schedule %s: %w", def.ID, err)
	}
	if !created {
		if err := repeatConflict(stored, row); err != nil {
			return Schedule{}, false, err
		}
	}
	if created && stored.ApprovalState == store.ScheduleApprovalAwaiting {
		if err := s.store.ScheduleEvent(ctx, stored.ID, "awaiting_approval", actor.Name,
			map[string]any{"reason": stored.ApprovalReason}); err != nil {
			return Schedule{}, false, err
		}
	}
	if err := s.createTemporalSchedule(ctx, def, spec, created, stored); err != nil {
		return Schedule{}, false, err
	}
	s.log.InfoContext(ctx, "payout schedule created", "schedule_id", stored.ID, "created", created)
	view, err := s.describe(ctx, stored)
	return view, !created, err
}

// scheduleRow checks the default wallet exists when no address is given
// (each run looks it up again through the gate) and fills in what the
// policy decides: the fee policy and whether runs need a second admin.
func (s *Service) scheduleRow(ctx context.Context, def schedule.Definition, actor string) (store.Schedule, error) {
	if def.Address == "" {
		_, err := s.store.DefaultWallet(ctx, def.ClientID, def.Asset, def.Network)
		if errors.Is(err, store.ErrNotFound) {
			r := gate.NoDefaultWallet(def.Asset, def.Network)
			return store.Schedule{}, invalid(r.Message, r.Fields)
		}
		if err != nil {
			return store.Schedule{}, fmt.Errorf("load default wallet of client %s: %w", def.ClientID, err)
		}
	}
	spec, err := json.Marshal(def.Spec)
	if err != nil {
		return store.Schedule{}, fmt.Errorf("encode schedule spec: %w", err)
	}
	return store.Schedule{
		ID: def.ID, ClientID: def.ClientID, Name: def.Name, Asset: def.Asset, Network: def.Network,
		Amount: def.Amount, Address: def.Address, Memo: def.Memo, IsSubtract: s.gate.Policy.FeeFromBalance,
		Spec: spec, CreatedBy: actor,
	}, nil
}

// scheduleApproval holds a schedule against its asset's approval
// threshold: its amount per run, and per run times the most runs it makes
// in 24 hours. Over either, it waits for a second admin before its first
// run, and the approval covers the thresholds of all its runs (each run
// still meets the hard caps and destination rules).
func (s *Service) scheduleApproval(def schedule.Definition, spec client.ScheduleSpec) (store.ScheduleApproval, string) {
	limit, ok := s.gate.Policy.ApprovalThresholds[def.Asset]
	if !ok {
		return store.ScheduleApprovalNone, ""
	}
	if def.Amount.GreaterThan(limit) {
		return store.ScheduleApprovalAwaiting, fmt.Sprintf("each run's %s %s is over the approval threshold of %s",
			gate.Amount(def.Amount), def.Asset, gate.Amount(limit))
	}
	runs := schedule.MaxRunsIn24h(spec)
	if total := def.Amount.Mul(decimal.NewFromInt(int64(runs))); total.GreaterThan(limit) {
		return store.ScheduleApprovalAwaiting, fmt.Sprintf("%d runs in 24 hours of %s %s are %s %s, over the approval threshold of %s",
			runs, gate.Amount(def.Amount), def.Asset, gate.Amount(total), def.Asset, gate.Amount(limit))
	}
	return store.ScheduleApprovalNone, ""
}

// repeatConflict compares a repeated create with the stored schedule: the
// same terms are a replay, anything else a conflict. A deleted schedule's
// name is not reused, because its ID is part of the payout IDs of its runs.
func repeatConflict(stored, req store.Schedule) error {
	if stored.DeletedAt != nil {
		return conflict("a deleted schedule had this name; choose another name")
	}
	var a, b schedule.Spec
	same := json.Unmarshal(stored.Spec, &a) == nil && json.Unmarshal(req.Spec, &b) == nil && a == b &&
		stored.Asset == req.Asset && stored.Network == req.Network && stored.Amount.Equal(req.Amount) &&
		stored.Address == req.Address && stored.Memo == req.Memo
	if !same {
		return conflict("a schedule with this name already exists with other terms")
	}
	return nil
}

// createTemporalSchedule creates the Temporal schedule, or finds it there
// already (a repeat, or a retry after a failure between the two writes).
// Every scheduled time gets its own run (overlap allowed): runs are
// independent, and skipping one would skip a payout.
func (s *Service) createTemporalSchedule(ctx context.Context, def schedule.Definition, spec client.ScheduleSpec, created bool, stored store.Schedule) error {
	awaiting := stored.ApprovalState == store.ScheduleApprovalAwaiting
	note := ""
	if awaiting {
		// Paused from the start: nothing runs before a second admin approves.
		note = "awaiting approval: " + stored.ApprovalReason
	}
	_, err := s.temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      def.ID,
		Spec:    spec,
		Paused:  awaiting,
		Note:    note,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
		Action: &client.ScheduleWorkflowAction{
			ID:       def.ID, // the scheduler appends each run's time
			Workflow: workflows.ScheduledPayoutWorkflowName,
			Args: []any{workflows.ScheduledPayoutInput{ScheduleID: def.ID, ClientID: def.ClientID,
				Timing: s.starter.Timing, Installation: s.Installation()}},
			TaskQueue: s.starter.TaskQueue,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				workflows.AttrClientID.ValueSet(def.ClientID), workflows.AttrOrigin.ValueSet(string(payout.OriginScheduled))),
			StaticSummary: fmt.Sprintf("%s %s on %s for client %s — schedule %s",
				def.Asset, def.Amount, def.Network, def.ClientID, def.Name),
		},
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.AttrClientID.ValueSet(def.ClientID)),
	})
	if err == nil || errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	var refused *serviceerror.InvalidArgument
	if errors.As(err, &refused) && created {
		// Temporal refused what validation let through: leave nothing
		// behind, so the corrected request is not a conflict.
		if perr := s.store.PurgeSchedule(ctx, def.ID); perr != nil {
			s.log.ErrorContext(ctx, "purge refused schedule", "schedule_id", def.ID, "error", perr)
		}
		msg := "Temporal refused the schedule: " + refused.Message
		return invalid(msg, payout.FieldErrors{schedule.FieldSpec: {msg}})
	}
	s.log.ErrorContext(ctx, "create Temporal schedule", "schedule_id", def.ID, "error", err)
	return unavailable("schedule recorded but not active yet; repeat the request", err)
}

// ListSchedules returns the client's schedules with their state.
func (s *Service) ListSchedules(ctx context.Context, clientID string) ([]Schedule, error) {
	rows, err := s.store.ListSchedules(ctx, clientID)
	if err != nil {
		return nil, fmt.Errorf("list schedules of client %s: %w", clientID, err)
	}
	out := make([]Schedule, 0, len(rows))
	for _, sc := range rows {
		v, err := s.describe(ctx, sc)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// GetSchedule returns the client's schedule, unless deleted.
func (s *Service) GetSchedule(ctx context.Context, clientID, id string) (Schedule, error) {
	sc, err := s.clientSchedule(ctx, clientID, id, false)
	if err != nil {
		return Schedule{}, err
	}
	return s.describe(ctx, sc)
}

// SetPaused pauses or resumes a schedule; either is idempotent in Temporal.
func (s *Service) SetPaused(ctx context.Context, clientID, id string, pause bool, actor access.Actor) (Schedule, error) {
	action := "resume a schedule"
	if pause {
		action = "pause a schedule"
	}
	if err := access.Need(actor, access.Operator, action); err != nil {
		return Schedule{}, err
	}
	sc, err := s.clientSchedule(ctx, clientID, id, false)
	if err != nil {
		return Schedule{}, err
	}
	if !pause && (sc.ApprovalState == store.ScheduleApprovalAwaiting || sc.ApprovalState == store.ScheduleApprovalRejected) {
		return Schedule{}, conflict("the schedule is " + string(sc.ApprovalState) + " approval: " + sc.ApprovalReason +
			"; a second admin approves it (POST …/approve) before it runs")
	}
	before, err := s.describe(ctx, sc)
	if err != nil {
		return Schedule{}, err
	}
	h := s.temporal.ScheduleClient().GetHandle(ctx, sc.ID)
	if pause {
		err = h.Pause(ctx, client.SchedulePauseOptions{Note: "paused by " + actor.Name})
	} else {
		err = h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: "resumed by " + actor.Name})
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return Schedule{}, conflict("the schedule is not active in Temporal yet; repeat the create request")
	}
	if err != nil {
		return Schedule{}, unavailable("could not reach Temporal; retry", err)
	}
	if was := before.State == "paused"; was != pause {
		// Audited when it changed: repeating a pause or a resume is not.
		event := map[bool]string{true: "paused", false: "resumed"}[pause]
		if err := s.store.ScheduleEvent(ctx, sc.ID, event, actor.Name, nil); err != nil {
			return Schedule{}, err
		}
	}
	s.log.InfoContext(ctx, "payout schedule paused or resumed", "schedule_id", sc.ID, "paused", pause, "actor", actor.Name)
	return s.describe(ctx, sc)
}

// DeleteSchedule marks the definition deleted first, so a run that is due
// meanwhile pays nothing, then deletes the Temporal schedule. Deleting a
// deleted schedule succeeds again.
func (s *Service) DeleteSchedule(ctx context.Context, clientID, id string, actor access.Actor) error {
	if err := access.Need(actor, access.Operator, "delete a schedule"); err != nil {
		return err
	}
	sc, err := s.clientSchedule(ctx, clientID, id, true)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSchedule(ctx, sc.ID); err != nil {
		return fmt.Errorf("delete schedule %s: %w", sc.ID, err)
	}
	if sc.DeletedAt == nil {
		if err := s.store.ScheduleEvent(ctx, sc.ID, "deleted", actor.Name, nil); err != nil {
			return err
		}
	}
	err = s.temporal.ScheduleClient().GetHandle(ctx, sc.ID).Delete(ctx)
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		return unavailable("schedule disabled but not yet removed from Temporal; repeat the request", err)
	}
	s.log.InfoContext(ctx, "payout schedule deleted", "schedule_id", sc.ID, "actor", actor.Name)
	return nil
}

// clientSchedule loads the schedule if it belongs to the client (and,
// unless deleted is allowed, is not deleted).
func (s *Service) clientSchedule(ctx context.Context, clientID, id string, deleted bool) (store.Schedule, error) {
	if owner, _, ok := schedule.ParseID(id); !ok || owner != clientID {
		return store.Schedule{}, notFound("schedule")
	}
	sc, err := s.store.GetSchedule(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sc.DeletedAt != nil && !deleted) {
		return store.Schedule{}, notFound("schedule")
	}
	if err != nil {
		return store.Schedule{}, fmt.Errorf("load schedule %s: %w", id, err)
	}
	return sc, nil
}

// describe joins the stored definition with Temporal's description.
func (s *Service) describe(ctx context.Context, sc store.Schedule) (Schedule, error) {
	v := Schedule{Schedule: sc, State: "missing", NextRuns: []time.Time{}}
	if err := json.Unmarshal(sc.Spec, &v.Spec); err != nil {
		return Schedule{}, fmt.Errorf("decode spec of schedule %s: %w", sc.ID, err)
	}
	desc, err := s.temporal.ScheduleClient().GetHandle(ctx, sc.ID).Describe(ctx)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return v, nil
	}
	if err != nil {
		return Schedule{}, unavailable("could not read the schedule's state from Temporal; retry", err)
	}
	v.State = "active"
	if st := desc.Schedule.State; st != nil {
		v.Note = st.Note
		if st.Paused {
			v.State = "paused"
		}
	}
	v.Runs = desc.Info.NumActions
	if v.State == "paused" {
		// Temporal still computes the times a paused schedule would run
		// at; none of them will happen until it is resumed.
		return v, nil
	}
	v.NextRuns = append(v.NextRuns, desc.Info.NextActionTimes[:min(3, len(desc.Info.NextActionTimes))]...)
	return v, nil
}

// Schedule decisions.
const (
	ScheduleApprove = "approve"
	ScheduleReject  = "reject"
)

// scheduleDecisionRoles is the role each schedule decision needs.
var scheduleDecisionRoles = map[string]access.Role{ScheduleApprove: access.Approver, ScheduleReject: access.Approver}

// DecideSchedule approves or rejects a schedule awaiting approval. The
// approver is never its creator. Approval records the decision with its
// audit row and then resumes the Temporal schedule; a rejected schedule
// stays paused and never runs. Repeating the decision taken changes
// nothing.
func (s *Service) DecideSchedule(ctx context.Context, clientID, id, decision string, actor access.Actor, note string) (Schedule, error) {
	if err := needFor(actor, scheduleDecisionRoles, decision, "schedule"); err != nil {
		return Schedule{}, err
	}
	sc, err := s.clientSchedule(ctx, clientID, id, false)
	if err != nil {
		return Schedule{}, err
	}
	if err := access.NotInitiator(actor, sc.CreatedBy); err != nil {
		return Schedule{}, err
	}
	to := store.ScheduleApprovalApproved
	if decision == ScheduleReject {
		to = store.ScheduleApprovalRejected
	}
	if _, err := s.store.DecideSchedule(ctx, sc.ID, to, actor.Name, note); errors.Is(err, store.ErrScheduleDecided) {
		return Schedule{}, conflict(err.Error())
	} else if err != nil {
		return Schedule{}, err
	}
	if to == store.ScheduleApprovalApproved {
		err := s.temporal.ScheduleClient().GetHandle(ctx, sc.ID).Unpause(ctx, client.ScheduleUnpauseOptions{Note: "approved by " + actor.Name})
		if err != nil {
			// Recorded approved: a resume (POST …/resume) or this request
			// again starts it.
			return Schedule{}, unavailable("approval recorded but the schedule is not running yet; repeat the request", err)
		}
	}
	s.log.InfoContext(ctx, "payout schedule decided", "schedule_id", sc.ID, "decision", decision, "actor", actor.Name)
	sc, err = s.clientSchedule(ctx, clientID, id, false)
	if err != nil {
		return Schedule{}, err
	}
	return s.describe(ctx, sc)
}
