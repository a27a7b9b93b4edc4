package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/schedule"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// scheduleRoutes registers the recurring-payout routes on the admin router.
func (s *server) scheduleRoutes(r chi.Router) {
	const base = "/clients/{client_id}/payout-schedules"
	r.Post(base, s.createSchedule)
	r.Get(base, s.listSchedules)
	r.Get(base+"/{schedule_id}", s.getSchedule)
	r.Post(base+"/{schedule_id}/pause", s.pauseSchedule)
	r.Post(base+"/{schedule_id}/resume", s.resumeSchedule)
	r.Delete(base+"/{schedule_id}", s.deleteSchedule)
}

// scheduleView is a schedule as the API shows it: the definition from
// Postgres, the state from Temporal.
type scheduleView struct {
	ID            string        `json:"id"`
	ClientID      string        `json:"client_id"`
	Name          string        `json:"name"`
	Asset         string        `json:"asset"`
	Network       string        `json:"network"`
	Amount        string        `json:"amount"`
	Address       *string       `json:"address_masked"` // null: the default wallet at each run
	Memo          string        `json:"memo,omitempty"`
	Spec          schedule.Spec `json:"spec"`
	NeedsApproval bool          `json:"needs_approval"`
	CreatedBy     string        `json:"created_by"`
	CreatedAt     time.Time     `json:"created_at"`
	// State is active or paused, or missing while the Temporal schedule
	// does not exist (a create that failed half-way: repeat it).
	State    string      `json:"state"`
	Note     string      `json:"note,omitempty"`
	NextRuns []time.Time `json:"next_runs"`
	Runs     int         `json:"runs"`
}

func (s *server) createSchedule(w http.ResponseWriter, r *http.Request) {
	var body schedule.Request
	if msg, ok := decodeJSON(w, r, &body); !ok {
		writeError(w, http.StatusBadRequest, msg, nil)
		return
	}
	def, spec, fields := schedule.Validate(chi.URLParam(r, "client_id"), body, s.Limits)
	if !fields.Empty() {
		writeError(w, http.StatusUnprocessableEntity, "invalid payout schedule", fields)
		return
	}
	row, status, refusal := s.scheduleRow(r, def)
	if status != 0 {
		writeJSON(w, status, refusal)
		return
	}
	stored, created, err := s.Store.CreateSchedule(r.Context(), row)
	if err != nil {
		s.scheduleFailed(w, def.ID, "could not store the schedule", err)
		return
	}
	if !created {
		if status, msg := repeatConflict(stored, row); status != 0 {
			writeError(w, status, msg, nil)
			return
		}
	}
	if status, msg := s.createTemporalSchedule(r.Context(), def, spec, created); status != 0 {
		writeError(w, status, msg, fieldsFor(status, msg))
		return
	}
	s.answerCreated(w, r, stored, created)
}

// answerCreated answers 201 for a new schedule and 200 for a repeat.
func (s *server) answerCreated(w http.ResponseWriter, r *http.Request, sc store.Schedule, created bool) {
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/clients/"+sc.ClientID+"/payout-schedules/"+sc.ID)
	s.log.Info("payout schedule created", "schedule_id", sc.ID, "created", created)
	s.writeSchedule(r.Context(), w, sc, status)
}

// scheduleRow checks the default wallet exists when no address is given
// (each run looks it up again) and fills in what the configuration
// decides: the fee policy and whether runs need a second admin.
func (s *server) scheduleRow(r *http.Request, def schedule.Definition) (store.Schedule, int, apiError) {
	if def.Address == "" {
		_, err := s.Store.DefaultWallet(r.Context(), def.ClientID, def.Asset, def.Network)
		if errors.Is(err, store.ErrNotFound) {
			return store.Schedule{}, http.StatusUnprocessableEntity, noDefaultWallet(def.Asset, def.Network)
		}
		if err != nil {
			s.log.Error("load default wallet", "client_id", def.ClientID, "error", err)
			return store.Schedule{}, http.StatusInternalServerError, apiError{Error: "could not load the client's wallet"}
		}
	}
	spec, err := json.Marshal(def.Spec)
	if err != nil {
		return store.Schedule{}, http.StatusInternalServerError, apiError{Error: "could not encode the schedule"}
	}
	approval := s.initialStatus(payout.Valid{Asset: def.Asset, Amount: def.Amount}) == payout.StatusAwaitingApproval
	return store.Schedule{
		ID: def.ID, ClientID: def.ClientID, Name: def.Name, Asset: def.Asset, Network: def.Network,
		Amount: def.Amount, Address: def.Address, Memo: def.Memo, IsSubtract: s.FeeFromBalance,
		NeedsApproval: approval, Spec: spec, CreatedBy: adminName(r.Context()),
	}, 0, apiError{}
}

// noDefaultWallet refuses a payout, batch row or schedule without an
// address when the client has no default wallet for it: a 422 on the
// address field, like every other invalid value.
func noDefaultWallet(asset, network string) apiError {
	msg := "no address given and client has no default " + asset + " wallet on " + network
	return apiError{Error: msg, Fields: map[string][]string{payout.FieldAddress: {msg}}}
}

// repeatConflict compares a repeated create with the stored schedule: the
// same terms are a replay, anything else a 409. A deleted schedule's name
// is not reused, because its ID is part of the payout IDs of its runs.
func repeatConflict(stored, req store.Schedule) (int, string) {
	if stored.DeletedAt != nil {
		return http.StatusConflict, "a deleted schedule had this name; choose another name"
	}
	var a, b schedule.Spec
	same := json.Unmarshal(stored.Spec, &a) == nil && json.Unmarshal(req.Spec, &b) == nil && a == b &&
		stored.Asset == req.Asset && stored.Network == req.Network && stored.Amount.Equal(req.Amount) &&
		stored.Address == req.Address && stored.Memo == req.Memo
	if !same {
		return http.StatusConflict, "a schedule with this name already exists with other terms"
	}
	return 0, ""
}

// createTemporalSchedule creates the Temporal schedule, or finds it there
// already (a repeat, or a retry after a failure between the two writes).
// Every scheduled time gets its own run (overlap allowed): runs are
// independent, and skipping one would skip a payout.
func (s *server) createTemporalSchedule(ctx context.Context, def schedule.Definition, spec client.ScheduleSpec, created bool) (int, string) {
	_, err := s.Temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      def.ID,
		Spec:    spec,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
		Action: &client.ScheduleWorkflowAction{
			ID:       def.ID, // the scheduler appends each run's time
			Workflow: workflows.ScheduledPayoutWorkflowName,
			Args: []any{workflows.ScheduledPayoutInput{
				ScheduleID: def.ID, ClientID: def.ClientID, Timing: s.Starter.Timing, Installation: s.Installation}},
			TaskQueue: s.Starter.TaskQueue,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				workflows.AttrClientID.ValueSet(def.ClientID), workflows.AttrOrigin.ValueSet(string(payout.OriginScheduled))),
			StaticSummary: fmt.Sprintf("%s %s on %s for client %s — schedule %s",
				def.Asset, def.Amount, def.Network, def.ClientID, def.Name),
		},
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.AttrClientID.ValueSet(def.ClientID)),
	})
	if err == nil || errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return 0, ""
	}
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) && created {
		// Temporal refused what validation let through: leave nothing
		// behind, so the corrected request is not a conflict.
		if perr := s.Store.PurgeSchedule(ctx, def.ID); perr != nil {
			s.log.Error("purge refused schedule", "schedule_id", def.ID, "error", perr)
		}
		return http.StatusUnprocessableEntity, "Temporal refused the schedule: " + invalid.Message
	}
	s.log.Error("create Temporal schedule", "schedule_id", def.ID, "error", err)
	return http.StatusServiceUnavailable, "schedule recorded but not active yet; repeat the request"
}

func fieldsFor(status int, msg string) map[string][]string {
	if status != http.StatusUnprocessableEntity {
		return nil
	}
	return map[string][]string{schedule.FieldSpec: {msg}}
}

func (s *server) listSchedules(w http.ResponseWriter, r *http.Request) {
	// Like the wallets list: a client ID no payout could have is an error,
	// not an empty list.
	if fields := payout.ValidateClientID(chi.URLParam(r, "client_id")); fields != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid client id", fields)
		return
	}
	rows, err := s.Store.ListSchedules(r.Context(), chi.URLParam(r, "client_id"))
	if err != nil {
		s.scheduleFailed(w, "", "could not list the schedules", err)
		return
	}
	out := make([]scheduleView, 0, len(rows))
	for _, sc := range rows {
		v, err := s.viewSchedule(r.Context(), sc)
		if err != nil {
			s.describeFailed(w, sc.ID, err)
			return
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *server) getSchedule(w http.ResponseWriter, r *http.Request) {
	sc, ok := s.clientSchedule(w, r)
	if !ok {
		return
	}
	s.writeSchedule(r.Context(), w, sc, http.StatusOK)
}

func (s *server) pauseSchedule(w http.ResponseWriter, r *http.Request) {
	s.setPaused(w, r, true)
}

func (s *server) resumeSchedule(w http.ResponseWriter, r *http.Request) {
	s.setPaused(w, r, false)
}

// setPaused pauses or resumes; either is idempotent in Temporal.
func (s *server) setPaused(w http.ResponseWriter, r *http.Request, pause bool) {
	sc, ok := s.clientSchedule(w, r)
	if !ok {
		return
	}
	h := s.Temporal.ScheduleClient().GetHandle(r.Context(), sc.ID)
	var err error
	if pause {
		err = h.Pause(r.Context(), client.SchedulePauseOptions{Note: "paused by " + adminName(r.Context())})
	} else {
		err = h.Unpause(r.Context(), client.ScheduleUnpauseOptions{Note: "resumed by " + adminName(r.Context())})
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		writeError(w, http.StatusConflict, "the schedule is not active in Temporal yet; repeat the create request", nil)
		return
	}
	if err != nil {
		s.log.Error("pause/resume schedule", "schedule_id", sc.ID, "pause", pause, "error", err)
		writeError(w, http.StatusServiceUnavailable, "could not reach Temporal; retry", nil)
		return
	}
	s.log.Info("payout schedule paused or resumed", "schedule_id", sc.ID, "paused", pause)
	s.writeSchedule(r.Context(), w, sc, http.StatusOK)
}

// deleteSchedule marks the definition deleted first, so a run that is due
// meanwhile pays nothing, then deletes the Temporal schedule. Deleting a
// deleted schedule answers 204 again.
func (s *server) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	sc, ok := s.clientScheduleAny(w, r)
	if !ok {
		return
	}
	if err := s.Store.DeleteSchedule(r.Context(), sc.ID); err != nil {
		s.scheduleFailed(w, sc.ID, "could not delete the schedule", err)
		return
	}
	err := s.Temporal.ScheduleClient().GetHandle(r.Context(), sc.ID).Delete(r.Context())
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		s.log.Error("delete Temporal schedule", "schedule_id", sc.ID, "error", err)
		writeError(w, http.StatusServiceUnavailable, "schedule disabled but not yet removed from Temporal; repeat the request", nil)
		return
	}
	s.log.Info("payout schedule deleted", "schedule_id", sc.ID)
	w.WriteHeader(http.StatusNoContent)
}

// clientSchedule loads the path's schedule if it belongs to the path's
// client and is not deleted; otherwise it answers 404.
func (s *server) clientSchedule(w http.ResponseWriter, r *http.Request) (store.Schedule, bool) {
	sc, ok := s.clientScheduleAny(w, r)
	if ok && sc.DeletedAt != nil {
		writeError(w, http.StatusNotFound, "schedule not found", nil)
		return store.Schedule{}, false
	}
	return sc, ok
}

func (s *server) clientScheduleAny(w http.ResponseWriter, r *http.Request) (store.Schedule, bool) {
	id := chi.URLParam(r, "schedule_id")
	if client, _, ok := schedule.ParseID(id); !ok || client != chi.URLParam(r, "client_id") {
		writeError(w, http.StatusNotFound, "schedule not found", nil)
		return store.Schedule{}, false
	}
	sc, err := s.Store.GetSchedule(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "schedule not found", nil)
		return store.Schedule{}, false
	}
	if err != nil {
		s.scheduleFailed(w, id, "could not load the schedule", err)
		return store.Schedule{}, false
	}
	return sc, true
}

func (s *server) writeSchedule(ctx context.Context, w http.ResponseWriter, sc store.Schedule, status int) {
	v, err := s.viewSchedule(ctx, sc)
	if err != nil {
		s.describeFailed(w, sc.ID, err)
		return
	}
	writeJSON(w, status, v)
}

// viewSchedule joins the stored definition with Temporal's description.
func (s *server) viewSchedule(ctx context.Context, sc store.Schedule) (scheduleView, error) {
	v := scheduleView{ID: sc.ID, ClientID: sc.ClientID, Name: sc.Name, Asset: sc.Asset, Network: sc.Network,
		Amount: sc.Amount.String(), Memo: sc.Memo, NeedsApproval: sc.NeedsApproval, CreatedBy: sc.CreatedBy,
		CreatedAt: sc.CreatedAt, State: "missing", NextRuns: []time.Time{}}
	if sc.Address != "" {
		masked := maskAddress(sc.Address)
		v.Address = &masked
	}
	if err := json.Unmarshal(sc.Spec, &v.Spec); err != nil {
		return scheduleView{}, fmt.Errorf("decode spec of schedule %s: %w", sc.ID, err)
	}
	desc, err := s.Temporal.ScheduleClient().GetHandle(ctx, sc.ID).Describe(ctx)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return v, nil
	}
	if err != nil {
		return scheduleView{}, fmt.Errorf("describe schedule %s: %w", sc.ID, err)
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

func (s *server) scheduleFailed(w http.ResponseWriter, scheduleID, msg string, err error) {
	s.log.Error(msg, "schedule_id", scheduleID, "error", err)
	writeError(w, http.StatusInternalServerError, msg, nil)
}

// describeFailed answers 503: the definition is in Postgres, but its state
// lives in Temporal, which did not answer.
func (s *server) describeFailed(w http.ResponseWriter, scheduleID string, err error) {
	s.log.Error("describe schedule", "schedule_id", scheduleID, "error", err)
	writeError(w, http.StatusServiceUnavailable, "could not read the schedule's state from Temporal; retry", nil)
}
