package access_test

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/access"
)

func TestEveryRoleReadsAndAdminDoesAll(t *testing.T) {
	for _, r := range access.Roles {
		a := access.NewActor("alice", []access.Role{r})
		assert.True(t, a.Can(access.Viewer), "%s reads", r)
		assert.True(t, a.Can(r), "%s acts as itself", r)
	}
	admin := access.NewActor("root", []access.Role{access.Admin})
	for _, r := range access.Roles {
		assert.True(t, admin.Can(r), "admin can %s", r)
	}
}

func TestRolesDoNotLeakIntoEachOther(t *testing.T) {
	cases := map[access.Role][]access.Role{
		access.Viewer:    {access.Initiator, access.Approver, access.Operator, access.Admin},
		access.Initiator: {access.Approver, access.Operator, access.Admin},
		access.Approver:  {access.Initiator, access.Operator, access.Admin},
		access.Operator:  {access.Initiator, access.Approver, access.Admin},
	}
	for has, cannot := range cases {
		a := access.NewActor("alice", []access.Role{has})
		for _, r := range cannot {
			assert.False(t, a.Can(r), "%s must not act as %s", has, r)
		}
	}
	both := access.NewActor("bob", []access.Role{access.Initiator, access.Approver})
	assert.True(t, both.Can(access.Initiator))
	assert.True(t, both.Can(access.Approver))
	assert.False(t, both.Can(access.Operator))
}

func TestNoRolesIsEveryRole(t *testing.T) {
	a := access.NewActor("alice", nil)
	assert.Equal(t, []access.Role{access.Admin}, a.Roles)
	assert.True(t, a.Can(access.Operator))
}

func TestTheZeroActorCanNothing(t *testing.T) {
	var a access.Actor
	for _, r := range access.Roles {
		assert.False(t, a.Can(r), r)
	}
	assert.Error(t, access.Need(a, access.Viewer, "read"))
}

func TestNeedIsATypedRefusal(t *testing.T) {
	viewer := access.NewActor("vera", []access.Role{access.Viewer})
	err := access.Need(viewer, access.Initiator, "create a payout")
	var fb *access.Forbidden
	require.True(t, errors.As(err, &fb))
	assert.Equal(t, access.Forbidden{Actor: "vera", Need: access.Initiator, Action: "create a payout"}, *fb)
	assert.Equal(t, "vera may not create a payout: that needs the initiator role", err.Error())
	assert.NoError(t, access.Need(viewer, access.Viewer, "list payouts"))
}

func TestNotInitiator(t *testing.T) {
	alice := access.NewActor("alice", nil)
	assert.NoError(t, access.NotInitiator(alice, "bob"))
	err := access.NotInitiator(alice, "alice")
	var self *access.SelfApproval
	require.True(t, errors.As(err, &self))
	assert.Equal(t, "alice", self.Actor)
	assert.Contains(t, err.Error(), "cannot approve")
	assert.Error(t, access.NotInitiator(access.Actor{}, ""), "an unnamed approver never passes as another admin")
}

func TestParseRoles(t *testing.T) {
	got, err := access.ParseRoles("initiator+approver")
	require.NoError(t, err)
	assert.Equal(t, []access.Role{access.Initiator, access.Approver}, got)
	assert.Equal(t, "initiator+approver", access.FormatRoles(got))
	for _, bad := range []string{"", "aprover", "viewer+viewer", "initiator,approver", "Admin", "viewer+"} {
		_, err := access.ParseRoles(bad)
		assert.Error(t, err, bad)
	}
}

func TestCredentialKeepsADigestAndExpires(t *testing.T) {
	c := access.NewCredential("alice", "alice-token-0123456789", []access.Role{access.Approver}, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	assert.Equal(t, sha256.Sum256([]byte("alice-token-0123456789")), c.Digest)
	assert.Equal(t, access.Actor{Name: "alice", Roles: []access.Role{access.Approver}}, c.Actor)
	assert.False(t, c.Expired(time.Date(2027, 2, 28, 23, 59, 59, 0, time.UTC)))
	assert.True(t, c.Expired(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)), "expires at the instant named")
	assert.False(t, access.NewCredential("bob", "bob-token-0123456789", nil, time.Time{}).Expired(time.Now()), "no expiry: never")
}
