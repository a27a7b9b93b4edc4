package console

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/schedule"
	"github.com/heleket-payouts/payouts/usecase"
)

func (c *console) scheduleRoutes(r chi.Router) {
	r.Get("/schedules", c.schedulesPage)
	r.Post("/clients/{client_id}/schedules", c.createSchedule)
	r.Post("/clients/{client_id}/schedules/{id}/{action}", c.scheduleAction)
}

// scheduleForm is the new-schedule form: the payout's terms and a cron
// spec (the API's other spec shapes stay with the API).
type scheduleForm struct{ Name, Asset, Network, Amount, Address, Memo, Cron, TimeZone string }

type schedulesData struct {
	ClientID  string
	Errs      payout.FieldErrors
	Schedules []usecase.Schedule
	Form      scheduleForm
	FormErrs  payout.FieldErrors
}

func (c *console) schedulesPage(w http.ResponseWriter, r *http.Request) {
	c.showSchedules(w, r, http.StatusOK, &schedulesData{ClientID: r.URL.Query().Get("client_id")}, "")
}

func (c *console) showSchedules(w http.ResponseWriter, r *http.Request, status int, d *schedulesData, problem string) {
	if d.ClientID != "" {
		if errs := payout.ValidateClientID(d.ClientID); !errs.Empty() {
			d.Errs = errs
			status = http.StatusUnprocessableEntity
		} else {
			list, err := c.Service.ListSchedules(r.Context(), d.ClientID)
			if err != nil {
				c.fail(w, r, "list the schedules", err)
				return
			}
			d.Schedules = list
		}
	}
	c.render(w, r, status, "schedules", page{Title: "Schedules", Nav: "schedules", Error: problem, Data: d})
}

func (c *console) createSchedule(w http.ResponseWriter, r *http.Request) {
	f := scheduleForm{Name: r.PostFormValue("name"), Asset: r.PostFormValue("asset"), Network: r.PostFormValue("network"),
		Amount: r.PostFormValue("amount"), Address: r.PostFormValue("address"), Memo: r.PostFormValue("memo"),
		Cron: r.PostFormValue("cron"), TimeZone: r.PostFormValue("timezone")}
	d := &schedulesData{ClientID: chi.URLParam(r, "client_id"), Form: f}
	_, _, err := c.Service.CreateSchedule(r.Context(), d.ClientID, schedule.Request{Name: f.Name, Asset: f.Asset,
		Network: f.Network, Amount: f.Amount, Address: f.Address, Memo: f.Memo,
		Spec: schedule.Spec{Cron: f.Cron, TimeZone: f.TimeZone}}, sessionOf(r.Context()).Actor)
	if err != nil {
		status, msg, fields := explain(err)
		if status >= 500 && status != http.StatusServiceUnavailable {
			c.fail(w, r, "create the schedule", err)
			return
		}
		d.FormErrs = fields
		c.showSchedules(w, r, status, d, msg)
		return
	}
	http.Redirect(w, r, "/console/schedules?client_id="+url.QueryEscape(d.ClientID), http.StatusSeeOther)
}

// scheduleAction pauses, resumes, deletes, approves or rejects a
// schedule through its use case.
func (c *console) scheduleAction(w http.ResponseWriter, r *http.Request) {
	clientID, id, action := chi.URLParam(r, "client_id"), chi.URLParam(r, "id"), chi.URLParam(r, "action")
	actor := sessionOf(r.Context()).Actor
	note := r.PostFormValue("note")
	d := &schedulesData{ClientID: clientID}
	if problem := httpapi.ReasonProblem(note); problem != "" {
		c.showSchedules(w, r, http.StatusUnprocessableEntity, d, "invalid note: "+problem)
		return
	}
	var err error
	switch action {
	case "pause", "resume":
		_, err = c.Service.SetPaused(r.Context(), clientID, id, action == "pause", actor)
	case "delete":
		err = c.Service.DeleteSchedule(r.Context(), clientID, id, actor)
	case usecase.ScheduleApprove, usecase.ScheduleReject:
		_, err = c.Service.DecideSchedule(r.Context(), clientID, id, action, actor, note)
	default:
		c.refuse(w, r, http.StatusNotFound, "no such schedule action")
		return
	}
	if err != nil {
		status, msg, _ := explain(err)
		if status >= 500 && status != http.StatusServiceUnavailable {
			c.fail(w, r, action+" the schedule", err)
			return
		}
		c.showSchedules(w, r, status, d, msg)
		return
	}
	back := "/console/schedules?client_id=" + url.QueryEscape(clientID)
	if r.PostFormValue("back") == "approvals" {
		back = "/console/approvals"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
