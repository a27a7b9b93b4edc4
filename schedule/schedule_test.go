package schedule

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/payout"
)

const tron = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"

func rng(start, end, step int) client.ScheduleRange {
	return client.ScheduleRange{Start: start, End: end, Step: step}
}

func TestCronCompilesToCalendar(t *testing.T) {
	spec, errs := Spec{Cron: "30 9 1,15 * MON-FRI"}.Temporal()
	require.Empty(t, errs)
	require.Len(t, spec.Calendars, 1)
	c := spec.Calendars[0]
	assert.Equal(t, []client.ScheduleRange{rng(0, 0, 1)}, c.Second)
	assert.Equal(t, []client.ScheduleRange{rng(30, 30, 1)}, c.Minute)
	assert.Equal(t, []client.ScheduleRange{rng(9, 9, 1)}, c.Hour)
	assert.Equal(t, []client.ScheduleRange{rng(1, 1, 1), rng(15, 15, 1)}, c.DayOfMonth)
	assert.Equal(t, []client.ScheduleRange{rng(1, 12, 1)}, c.Month)
	assert.Equal(t, []client.ScheduleRange{rng(1, 1, 0), rng(2, 2, 0), rng(3, 3, 0), rng(4, 4, 0), rng(5, 5, 0)}, c.DayOfWeek)
	assert.Nil(t, c.Year, "every year")
}

func TestCronForms(t *testing.T) {
	spec, errs := Spec{Cron: "@monthly"}.Temporal()
	require.Empty(t, errs)
	assert.Equal(t, []client.ScheduleRange{rng(1, 1, 1)}, spec.Calendars[0].DayOfMonth)

	spec, errs = Spec{Cron: "@every 24h/9h"}.Temporal()
	require.Empty(t, errs)
	assert.Equal(t, []client.ScheduleIntervalSpec{{Every: 24 * time.Hour, Offset: 9 * time.Hour}}, spec.Intervals)

	spec, errs = Spec{Cron: "15 */20 8 * * 7 2027"}.Temporal()
	require.Empty(t, errs)
	c := spec.Calendars[0]
	assert.Equal(t, []client.ScheduleRange{rng(15, 15, 1)}, c.Second)
	assert.Equal(t, []client.ScheduleRange{rng(0, 59, 20)}, c.Minute)
	assert.Equal(t, []client.ScheduleRange{rng(0, 0, 0)}, c.DayOfWeek, "7 is Sunday")
	assert.Equal(t, []client.ScheduleRange{rng(2027, 2027, 1)}, c.Year)

	spec, errs = Spec{Cron: "0 0 * JAN,jul sun-sat"}.Temporal()
	require.Empty(t, errs)
	assert.Equal(t, []client.ScheduleRange{rng(1, 1, 1), rng(7, 7, 1)}, spec.Calendars[0].Month)
	assert.Equal(t, []client.ScheduleRange{rng(0, 6, 0)}, spec.Calendars[0].DayOfWeek)
}

func TestSpecErrorsAreFieldErrors(t *testing.T) {
	tests := []struct {
		name  string
		spec  Spec
		field string
	}{
		{"nothing", Spec{}, FieldSpec},
		{"two kinds", Spec{Cron: "@daily", Interval: Interval{Every: "24h"}}, FieldSpec},
		{"four fields", Spec{Cron: "0 0 * *"}, FieldCron},
		{"minute 60", Spec{Cron: "60 0 * * *"}, FieldCron},
		{"backwards range", Spec{Cron: "0 0 5-1 * *"}, FieldCron},
		{"zero step", Spec{Cron: "*/0 0 * * *"}, FieldCron},
		{"month name typo", Spec{Cron: "0 0 1 JANUARY *"}, FieldCron},
		{"tz prefix", Spec{Cron: "CRON_TZ=UTC 0 0 * * *"}, FieldCron},
		{"comment", Spec{Cron: "0 0 * * * # nightly"}, FieldCron},
		{"every second", Spec{Interval: Interval{Every: "1s"}}, FieldInterval},
		{"every days", Spec{Interval: Interval{Every: "1d"}}, FieldInterval},
		{"offset too big", Spec{Interval: Interval{Every: "1h", Offset: "2h"}}, FieldInterval},
		{"calendar day 0", Spec{Calendar: Calendar{DayOfMonth: "0"}}, FieldCalendar},
		{"unknown zone", Spec{Cron: "@daily", TimeZone: "Mars/Olympus"}, FieldTimeZone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := tt.spec.Temporal()
			assert.NotEmpty(t, errs[tt.field], "errors: %v", errs)
		})
	}
}

func TestCalendarAndTimeZone(t *testing.T) {
	spec, errs := Spec{Calendar: Calendar{Hour: "9", DayOfWeek: "MON"}, TimeZone: "America/Sao_Paulo"}.Temporal()
	require.Empty(t, errs)
	assert.Equal(t, "America/Sao_Paulo", spec.TimeZoneName)
	c := spec.Calendars[0]
	assert.Equal(t, []client.ScheduleRange{rng(0, 0, 1)}, c.Minute, "minute defaults to 0")
	assert.Equal(t, []client.ScheduleRange{rng(1, 31, 1)}, c.DayOfMonth, "day of month defaults to every day")
	assert.Equal(t, []client.ScheduleRange{rng(1, 1, 0)}, c.DayOfWeek)
}

func TestValidate(t *testing.T) {
	req := Request{Name: "monthly_bonus", Asset: "usdt", Network: "TRON", Amount: "10.50", Address: tron,
		Spec: Spec{Cron: " 0  9 1 * * "}}
	def, spec, errs := Validate("client-42", req, payout.Limits{})
	require.Empty(t, errs)
	assert.Equal(t, "payout-schedule-client-42-monthly_bonus", def.ID)
	assert.Equal(t, "USDT", def.Asset)
	assert.Equal(t, "10.5", def.Amount.String())
	assert.Equal(t, "0 9 1 * *", def.Spec.Cron, "spacing normalised")
	assert.Len(t, spec.Calendars, 1)

	_, _, errs = Validate("client-42", Request{Name: "monthly-bonus", Asset: "USDT", Network: "tron", Amount: "-1"}, payout.Limits{})
	assert.NotEmpty(t, errs[FieldName])
	assert.NotEmpty(t, errs[payout.FieldAmount])
	assert.NotEmpty(t, errs[FieldSpec], "all problems at once")
}

func TestRequestJSONIsFlat(t *testing.T) {
	var r Request
	require.NoError(t, json.Unmarshal([]byte(`{"name":"n","cron":"@daily","timezone":"UTC","interval":{"every":"1h"}}`), &r))
	assert.Equal(t, "@daily", r.Cron)
	assert.Equal(t, "1h", r.Interval.Every)
	out, err := json.Marshal(Spec{Cron: "@daily"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"cron":"@daily"}`, string(out), "empty parts are left out")
}

func TestIDs(t *testing.T) {
	id := ID("client-with-dashes", "weekly")
	client, name, ok := ParseID(id)
	require.True(t, ok)
	assert.Equal(t, "client-with-dashes", client)
	assert.Equal(t, "weekly", name)
	for _, bad := range []string{"payout-xyz", "payout-schedule-", "payout-schedule-c-", "payout-schedule-c-a.b", "other-c-n"} {
		_, _, ok := ParseID(bad)
		assert.False(t, ok, bad)
	}

	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	assert.Equal(t, RunPayoutID("", "42", id, at), RunPayoutID("", "42", id, at.In(time.FixedZone("X", 3600))), "the instant counts, not the zone")
	assert.Equal(t, RunPayoutID("", "42", id, at), RunPayoutID("", "42", id, at.Add(300*time.Millisecond)), "second precision")
	assert.NotEqual(t, RunPayoutID("", "42", id, at), RunPayoutID("", "42", id, at.Add(time.Second)))
	assert.NotEqual(t, RunPayoutID("", "42", id, at), RunPayoutID("", "42", ID("42", "other"), at))
	assert.Regexp(t, `^[A-Za-z0-9_-]{32}$`, RunPayoutID("", "42", id, at))
}
