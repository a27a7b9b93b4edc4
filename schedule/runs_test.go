package schedule

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

func TestMaxRunsIn24h(t *testing.T) {
	cases := map[string]struct {
		spec Spec
		want int
	}{
		"monthly":             {Spec{Cron: "0 9 1 * *"}, 1},
		"twice a day":         {Spec{Cron: "0 9,21 * * *"}, 2},
		"hourly on weekdays":  {Spec{Cron: "0 * * * 1-5"}, 24},
		"every 15 minutes":    {Spec{Cron: "*/15 * * * *"}, 96},
		"every 7 hours":       {Spec{Interval: Interval{Every: "7h"}}, 4},
		"daily interval":      {Spec{Interval: Interval{Every: "24h"}}, 1},
		"calendar at noon":    {Spec{Calendar: Calendar{Hour: "12"}}, 1},
		"calendar on the 1st": {Spec{Calendar: Calendar{Hour: "0,23", DayOfMonth: "1"}}, 2},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			spec, errs := c.spec.Temporal()
			require.Empty(t, errs)
			assert.Equal(t, c.want, MaxRunsIn24h(spec))
		})
	}
}

// The busiest 24 hours may span midnight: twelve runs on the afternoon
// of the 1st and twelve on the morning of the 2nd are 24 in 24 hours,
// although no calendar day has more than twelve.
func TestMaxRunsIn24hSlidesOverMidnight(t *testing.T) {
	spec := client.ScheduleSpec{Calendars: []client.ScheduleCalendarSpec{
		{Hour: []client.ScheduleRange{{Start: 12, End: 23}}, DayOfMonth: []client.ScheduleRange{{Start: 1}}},
		{Hour: []client.ScheduleRange{{Start: 0, End: 11}}, DayOfMonth: []client.ScheduleRange{{Start: 2}}},
	}}
	assert.Equal(t, 24, MaxRunsIn24h(spec))
}
