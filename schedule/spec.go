package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
)

// Spec is when a recurring payout runs: exactly one of a cron string, a
// calendar or an interval, in an optional IANA time zone (UTC otherwise).
// The API stores it as given, so a repeated create can be compared.
type Spec struct {
	Cron     string   `json:"cron,omitempty"`
	Calendar Calendar `json:"calendar,omitzero"`
	Interval Interval `json:"interval,omitzero"`
	TimeZone string   `json:"timezone,omitempty"`
}

// Calendar matches calendar times field by field, each field in cron
// syntax: "*", "5", "1-5", "1-5/2", "*/15", "MON-FRI", "JAN,JUL", lists of
// these. Empty fields default like Temporal's: second, minute and hour to
// 0, the others to every value.
type Calendar struct {
	Second     string `json:"second,omitempty"`
	Minute     string `json:"minute,omitempty"`
	Hour       string `json:"hour,omitempty"`
	DayOfMonth string `json:"day_of_month,omitempty"`
	Month      string `json:"month,omitempty"`
	DayOfWeek  string `json:"day_of_week,omitempty"`
	Year       string `json:"year,omitempty"`
}

// Interval fires at epoch + n*Every + Offset; both are Go durations
// ("24h", "90m").
type Interval struct {
	Every  string `json:"every,omitempty"`
	Offset string `json:"offset,omitempty"`
}

// MinInterval keeps a typo ("1s" for "1d") from paying out every second.
const MinInterval = time.Minute

// Field names of spec problems, as the HTTP API reports them.
const (
	FieldSpec     = "spec"
	FieldCron     = "cron"
	FieldCalendar = "calendar"
	FieldInterval = "interval"
	FieldTimeZone = "timezone"
)

// Temporal compiles the spec into a Temporal schedule spec, or explains per
// field what is wrong. Cron strings are compiled here rather than passed to
// the server so that every mistake is a 422 before anything is stored.
func (s Spec) Temporal() (client.ScheduleSpec, map[string][]string) {
	errs := map[string][]string{}
	add := func(field string, err error) { errs[field] = append(errs[field], err.Error()) }
	out := client.ScheduleSpec{TimeZoneName: s.TimeZone}
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil || strings.EqualFold(s.TimeZone, "local") {
			add(FieldTimeZone, errors.New("is not an IANA time zone name like Europe/Lisbon"))
		}
	}
	kinds := 0
	if s.Cron != "" {
		kinds++
		if err := compileCron(s.Cron, &out); err != nil {
			add(FieldCron, err)
		}
	}
	if s.Calendar != (Calendar{}) {
		kinds++
		cal, err := s.Calendar.compile()
		if err != nil {
			add(FieldCalendar, err)
		}
		out.Calendars = append(out.Calendars, cal)
	}
	if s.Interval != (Interval{}) {
		kinds++
		iv, err := s.Interval.compile()
		if err != nil {
			add(FieldInterval, err)
		}
		out.Intervals = append(out.Intervals, iv)
	}
	if kinds != 1 {
		add(FieldSpec, errors.New("give exactly one of cron, calendar or interval"))
	}
	if len(errs) > 0 {
		return client.ScheduleSpec{}, errs
	}
	return out, nil
}

// cronMacros are the shorthands Temporal (and most crons) accept.
var cronMacros = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// compileCron reads 5 fields (minute hour day-of-month month day-of-week),
// 6 (plus year) or 7 (second first, then the 6), a macro such as @daily,
// or "@every <duration>[/<offset>]". Time zones go in the timezone field.
func compileCron(c string, out *client.ScheduleSpec) error {
	c = strings.TrimSpace(c)
	if strings.HasPrefix(c, "TZ=") || strings.HasPrefix(c, "CRON_TZ=") || strings.Contains(c, "#") {
		return errors.New("use the timezone field instead of TZ=, and no # comments")
	}
	if rest, ok := strings.CutPrefix(c, "@every "); ok {
		every, offset, _ := strings.Cut(strings.TrimSpace(rest), "/")
		iv, err := Interval{Every: every, Offset: offset}.compile()
		out.Intervals = append(out.Intervals, iv)
		return err
	}
	if m, ok := cronMacros[c]; ok {
		c = m
	}
	f := strings.Fields(c)
	var cal Calendar
	switch len(f) {
	case 5:
		cal = Calendar{Minute: f[0], Hour: f[1], DayOfMonth: f[2], Month: f[3], DayOfWeek: f[4]}
	case 6:
		cal = Calendar{Minute: f[0], Hour: f[1], DayOfMonth: f[2], Month: f[3], DayOfWeek: f[4], Year: f[5]}
	case 7:
		cal = Calendar{Second: f[0], Minute: f[1], Hour: f[2], DayOfMonth: f[3], Month: f[4], DayOfWeek: f[5], Year: f[6]}
	default:
		return fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), 6 (plus year) or 7 (second first), got %d", len(f))
	}
	compiled, err := cal.compile()
	out.Calendars = append(out.Calendars, compiled)
	return err
}

func (iv Interval) compile() (client.ScheduleIntervalSpec, error) {
	every, err := time.ParseDuration(strings.TrimSpace(iv.Every))
	if err != nil || every < MinInterval {
		return client.ScheduleIntervalSpec{}, fmt.Errorf("every must be a duration of at least %s, like 24h", MinInterval)
	}
	var offset time.Duration
	if strings.TrimSpace(iv.Offset) != "" {
		offset, err = time.ParseDuration(strings.TrimSpace(iv.Offset))
		if err != nil || offset < 0 || offset >= every {
			return client.ScheduleIntervalSpec{}, errors.New("offset must be a duration from 0 up to every, like 9h")
		}
	}
	return client.ScheduleIntervalSpec{Every: every, Offset: offset}, nil
}

// calendarField describes one calendar field: its bounds, its default and
// the names its values may have.
type calendarField struct {
	name     string
	min, max int
	def      string
	names    []string // names[i] is value i+nameBase
	nameBase int
}

var (
	months = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	days   = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

	fieldSecond = calendarField{name: "second", max: 59, def: "0"}
	fieldMinute = calendarField{name: "minute", max: 59, def: "0"}
	fieldHour   = calendarField{name: "hour", max: 23, def: "0"}
	fieldDOM    = calendarField{name: "day_of_month", min: 1, max: 31, def: "*"}
	fieldMonth  = calendarField{name: "month", min: 1, max: 12, def: "*", names: months, nameBase: 1}
	// 7 is Sunday too, as in most crons.
	fieldDOW  = calendarField{name: "day_of_week", max: 7, def: "*", names: days}
	fieldYear = calendarField{name: "year", min: 2000, max: 2100, def: "*"}
)

func (c Calendar) compile() (client.ScheduleCalendarSpec, error) {
	var errs []error
	field := func(f calendarField, s string) []client.ScheduleRange {
		r, err := f.parse(s)
		if err != nil {
			errs = append(errs, err)
		}
		return r
	}
	out := client.ScheduleCalendarSpec{
		Second:     field(fieldSecond, c.Second),
		Minute:     field(fieldMinute, c.Minute),
		Hour:       field(fieldHour, c.Hour),
		DayOfMonth: field(fieldDOM, c.DayOfMonth),
		Month:      field(fieldMonth, c.Month),
		DayOfWeek:  sundayIsZero(field(fieldDOW, c.DayOfWeek)),
		Year:       field(fieldYear, c.Year),
	}
	if strings.TrimSpace(c.Year) == "" || strings.TrimSpace(c.Year) == "*" {
		out.Year = nil // Temporal: no year ranges means every year
	}
	if err := oncePerMinute(out.Second); err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// parse reads a comma-separated list of "*", "v", "a-b", with an optional
// "/step" on each.
func (f calendarField) parse(s string) ([]client.ScheduleRange, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = f.def
	}
	var out []client.ScheduleRange
	for part := range strings.SplitSeq(s, ",") {
		r, err := f.parseRange(part)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", f.name, truncate(s, 40), err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (f calendarField) parseRange(part string) (client.ScheduleRange, error) {
	body, stepText, hasStep := strings.Cut(part, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepText)
		if err != nil || n < 1 {
			return client.ScheduleRange{}, errors.New("a step must be a positive whole number")
		}
		step = n
	}
	start, end := f.min, f.max
	if body != "*" {
		lo, hi, isRange := strings.Cut(body, "-")
		var err error
		if start, err = f.value(lo); err != nil {
			return client.ScheduleRange{}, err
		}
		switch {
		case isRange:
			if end, err = f.value(hi); err != nil {
				return client.ScheduleRange{}, err
			}
			if end < start {
				return client.ScheduleRange{}, errors.New("a range must not end before it starts")
			}
		case !hasStep:
			end = start // "5" is 5 alone; "5/10" is 5 to the maximum by 10
		}
	}
	return client.ScheduleRange{Start: start, End: end, Step: step}, nil
}

func (f calendarField) value(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, name := range f.names {
		if s == name {
			return i + f.nameBase, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < f.min || n > f.max {
		return 0, fmt.Errorf("values go from %d to %d", f.min, f.max)
	}
	return n, nil
}

// sundayIsZero rewrites day-of-week 7 as 0, the only Sunday Temporal
// knows, by listing the matched days one by one.
func sundayIsZero(ranges []client.ScheduleRange) []client.ScheduleRange {
	var matched [7]bool
	for _, r := range ranges {
		for d := r.Start; d <= max(r.End, r.Start); d += max(r.Step, 1) {
			matched[d%7] = true
		}
	}
	var out []client.ScheduleRange
	for d, ok := range matched {
		if ok {
			out = append(out, client.ScheduleRange{Start: d, End: d})
		}
	}
	if len(out) == 7 {
		return []client.ScheduleRange{{Start: 0, End: 6}}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
