package schedule

import (
	"time"

	"go.temporal.io/sdk/client"
)

// runsHorizon is how far ahead MaxRunsIn24h looks for the busiest day: a
// leap year's worth of minutes covers every day of month, month and day of
// week a calendar can name.
const runsHorizon = 366 * 24 * time.Hour

// MaxRunsIn24h is the most runs a compiled spec makes in any 24 hours, so
// a schedule's amount times it can be held against an approval threshold
// when it is made. Calendars are walked minute by minute (a schedule pays
// at most once a minute) in UTC over a year from 2028, a leap year that
// starts on a Saturday; an interval makes ceil(24h / every) runs.
func MaxRunsIn24h(spec client.ScheduleSpec) int {
	most := 0
	for _, iv := range spec.Intervals {
		if iv.Every > 0 {
			most = max(most, int((24*time.Hour+iv.Every-1)/iv.Every))
		}
	}
	if len(spec.Calendars) > 0 {
		most = max(most, busiestDay(spec.Calendars))
	}
	return most
}

func busiestDay(cals []client.ScheduleCalendarSpec) int {
	start := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
	var fires []time.Time
	for t := start; t.Before(start.Add(runsHorizon)); t = t.Add(time.Minute) {
		for _, c := range cals {
			if matches(c, t) {
				fires = append(fires, t)
				break
			}
		}
	}
	most, lo := 0, 0
	for hi, t := range fires {
		for !fires[lo].After(t.Add(-24 * time.Hour)) {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
}

// matches says whether a calendar fires in the minute of t; every field
// must match (Temporal's calendars, unlike cron, AND day of month with day
// of week). Empty hour and minute mean 0, empty dates any, as Temporal
// reads them.
func matches(c client.ScheduleCalendarSpec, t time.Time) bool {
	return in(c.Minute, t.Minute(), true) && in(c.Hour, t.Hour(), true) &&
		in(c.DayOfMonth, t.Day(), false) && in(c.Month, int(t.Month()), false) &&
		in(c.DayOfWeek, int(t.Weekday()), false) && in(c.Year, t.Year(), false)
}

func in(ranges []client.ScheduleRange, v int, emptyIsZero bool) bool {
	if len(ranges) == 0 {
		return !emptyIsZero || v == 0
	}
	for _, r := range ranges {
		end, step := max(r.End, r.Start), max(r.Step, 1)
		if v >= r.Start && v <= end && (v-r.Start)%step == 0 {
			return true
		}
	}
	return false
}
