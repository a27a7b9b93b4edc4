package httpapi

import (
	"net/http"
	"time"

	"github.com/heleket-payouts/payouts/store"
)

// adminClicksView is the body of GET /dashboard/api/admin-clicks. Only
// what happened is listed: an admin with no action in the period is
// absent, and so are an admin's actions and days with a zero count.
// Actions names every action counted, so a dashboard can draw the zeros.
type adminClicksView struct {
	From    *time.Time       `json:"from"`
	To      *time.Time       `json:"to"`
	Actions []string         `json:"actions"`
	Total   int64            `json:"total"`
	Admins  []adminClickView `json:"admins"`
}

type adminClickView struct {
	Admin   string                      `json:"admin"`
	Total   int64                       `json:"total"`
	Actions map[string]*adminActionView `json:"actions"`
}

type adminActionView struct {
	Total int64          `json:"total"`
	Days  []dayCountView `json:"days"`
}

type dayCountView struct {
	Day   string `json:"day"` // UTC, YYYY-MM-DD
	Count int64  `json:"count"`
}

func (s *server) adminClicks(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r, "from", "to")
	from, to := q.period("from", "to")
	if !q.errs.Empty() {
		writeError(w, http.StatusUnprocessableEntity, "invalid admin activity query", q.errs)
		return
	}
	clicks, err := s.Store.AdminClicks(r.Context(), from, to)
	if err != nil {
		s.log.ErrorContext(r.Context(), "admin clicks", "error", err)
		writeError(w, http.StatusInternalServerError, "could not count the admin activity", nil)
		return
	}
	v := adminClicksViewOf(clicks)
	v.From, v.To = optionalTime(from), optionalTime(to)
	writeJSON(w, http.StatusOK, v)
}

// adminClicksViewOf relies on the store's order (admin, action, day).
func adminClicksViewOf(clicks []store.AdminClick) adminClicksView {
	v := adminClicksView{Actions: store.AdminActions, Admins: []adminClickView{}}
	for _, c := range clicks {
		if n := len(v.Admins); n == 0 || v.Admins[n-1].Admin != c.Admin {
			v.Admins = append(v.Admins, adminClickView{Admin: c.Admin, Actions: map[string]*adminActionView{}})
		}
		a := &v.Admins[len(v.Admins)-1]
		act := a.Actions[c.Action]
		if act == nil {
			act = &adminActionView{}
			a.Actions[c.Action] = act
		}
		act.Days = append(act.Days, dayCountView{Day: c.Day.Format(time.DateOnly), Count: c.Count})
		act.Total += c.Count
		a.Total += c.Count
		v.Total += c.Count
	}
	return v
}
