package schedule

import (
	"errors"

	"go.temporal.io/sdk/client"
)

// oncePerMinute refuses a calendar that fires on more than one second of a
// minute: "* * * * * * *" (seconds first) would pay every second, the
// typo MinInterval keeps out of intervals. One payout a minute is the
// most any schedule makes.
func oncePerMinute(seconds []client.ScheduleRange) error {
	n := 0
	for _, r := range seconds {
		end, step := max(r.End, r.Start), max(r.Step, 1)
		n += (end-r.Start)/step + 1
	}
	if n > 1 {
		return errors.New("second must be one value: a schedule pays at most once a minute")
	}
	return nil
}
