package httpapi

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/schedule"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
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
	r.Post(base+"/{schedule_id}/approve", s.decideSchedule(usecase.ScheduleApprove))
	r.Post(base+"/{schedule_id}/reject", s.decideSchedule(usecase.ScheduleReject))
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
	// Approval is none, awaiting, approved or rejected; WaitingFor says
	// why it waits while awaiting.
	Approval   store.ScheduleApproval `json:"approval"`
	WaitingFor *payout.Waiting        `json:"waiting_for,omitempty"`
	CreatedBy  string                 `json:"created_by"`
	CreatedAt  time.Time              `json:"created_at"`
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
	sc, replayed, err := s.Service.CreateSchedule(r.Context(), chi.URLParam(r, "client_id"), body, actor(r.Context()))
	if err != nil {
		s.fail(w, r, "store the schedule", err)
		return
	}
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/clients/"+sc.ClientID+"/payout-schedules/"+sc.ID)
	writeJSON(w, status, viewSchedule(sc))
}

func (s *server) listSchedules(w http.ResponseWriter, r *http.Request) {
	// Like the wallets list: a client ID no payout could have is an error,
	// not an empty list.
	if fields := payout.ValidateClientID(chi.URLParam(r, "client_id")); fields != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid client id", fields)
		return
	}
	all, err := s.Service.ListSchedules(r.Context(), chi.URLParam(r, "client_id"))
	if err != nil {
		s.fail(w, r, "list the schedules", err)
		return
	}
	out := make([]scheduleView, 0, len(all))
	for _, sc := range all {
		out = append(out, viewSchedule(sc))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *server) getSchedule(w http.ResponseWriter, r *http.Request) {
	sc, err := s.Service.GetSchedule(r.Context(), chi.URLParam(r, "client_id"), chi.URLParam(r, "schedule_id"))
	if err != nil {
		s.fail(w, r, "load the schedule", err)
		return
	}
	writeJSON(w, http.StatusOK, viewSchedule(sc))
}

func (s *server) pauseSchedule(w http.ResponseWriter, r *http.Request) { s.setPaused(w, r, true) }

func (s *server) resumeSchedule(w http.ResponseWriter, r *http.Request) { s.setPaused(w, r, false) }

// setPaused pauses or resumes; either is idempotent.
func (s *server) setPaused(w http.ResponseWriter, r *http.Request, pause bool) {
	sc, err := s.Service.SetPaused(r.Context(), chi.URLParam(r, "client_id"), chi.URLParam(r, "schedule_id"), pause,
		actor(r.Context()))
	if err != nil {
		s.fail(w, r, "pause or resume the schedule", err)
		return
	}
	writeJSON(w, http.StatusOK, viewSchedule(sc))
}

// decideSchedule approves or rejects a schedule awaiting approval.
func (s *server) decideSchedule(decision string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		note, ok := readDecision(w, r)
		if !ok {
			return
		}
		sc, err := s.Service.DecideSchedule(r.Context(), chi.URLParam(r, "client_id"), chi.URLParam(r, "schedule_id"),
			decision, actor(r.Context()), note)
		if err != nil {
			s.fail(w, r, "record the schedule decision", err)
			return
		}
		writeJSON(w, http.StatusOK, viewSchedule(sc))
	}
}

// deleteSchedule answers 204, again for a schedule already deleted.
func (s *server) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.DeleteSchedule(r.Context(), chi.URLParam(r, "client_id"), chi.URLParam(r, "schedule_id"), actor(r.Context())); err != nil {
		s.fail(w, r, "delete the schedule", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// viewSchedule is a schedule as the API shows it: the address masked.
func viewSchedule(sc usecase.Schedule) scheduleView {
	v := scheduleView{ID: sc.ID, ClientID: sc.ClientID, Name: sc.Name, Asset: sc.Asset, Network: sc.Network,
		Amount: sc.Amount.String(), Memo: sc.Memo, Spec: sc.Spec, NeedsApproval: sc.NeedsApproval, CreatedBy: sc.CreatedBy,
		CreatedAt: sc.CreatedAt, State: sc.State, Note: sc.Note, NextRuns: sc.NextRuns, Runs: sc.Runs,
		Approval: sc.ApprovalState}
	if sc.ApprovalState == store.ScheduleApprovalAwaiting {
		v.WaitingFor = &payout.Waiting{Kind: payout.WaitApproval, Reason: sc.ApprovalReason, Role: "approver"}
	}
	if sc.Address != "" {
		masked := payout.MaskAddress(sc.Address)
		v.Address = &masked
	}
	return v
}
