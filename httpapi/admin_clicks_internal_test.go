package httpapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/store"
)

func TestAdminClicksViewGroupsByAdminThenAction(t *testing.T) {
	d1 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	d2 := d1.Add(24 * time.Hour)
	v := adminClicksViewOf([]store.AdminClick{
		{Admin: "alice", Action: store.ActionPayoutRequested, Day: d1, Count: 2},
		{Admin: "alice", Action: store.ActionPayoutRequested, Day: d2, Count: 3},
		{Admin: "alice", Action: store.ActionScheduleChanged, Day: d2, Count: 1},
		{Admin: "bob", Action: store.ActionPayoutApproved, Day: d1, Count: 4},
	})
	assert.Equal(t, int64(10), v.Total)
	assert.Equal(t, store.AdminActions, v.Actions)
	require.Len(t, v.Admins, 2)
	alice := v.Admins[0]
	assert.Equal(t, "alice", alice.Admin)
	assert.Equal(t, int64(6), alice.Total)
	assert.Equal(t, &adminActionView{Total: 5, Days: []dayCountView{{"2026-12-01", 2}, {"2026-12-02", 3}}},
		alice.Actions[store.ActionPayoutRequested])
	assert.Len(t, alice.Actions, 2, "actions with nothing are left out")
	assert.Equal(t, "bob", v.Admins[1].Admin)
	assert.Equal(t, int64(4), v.Admins[1].Total)

	empty := adminClicksViewOf(nil)
	assert.NotNil(t, empty.Admins, "an empty period is an empty list, not null")
	assert.Zero(t, empty.Total)
}
