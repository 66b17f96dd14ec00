package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/store"
)

// An import of several chunks stores every member as read, in the file's
// order, each with its numbers in order and recorded in campaign_numbers,
// and sorts the campaign by its sort variable (score, descending; a value
// that is not a number sorts first): on PostgreSQL through COPY and a
// staging table, on SQLite through multi-row INSERTs, to the same result.
func TestImport_StoresWhatItRead(t *testing.T) {
	db, id := openIVR(t)
	ctx := context.Background()
	importMembers(t, db, id, member(2, 3, "first", "+12125559999"))
	if err := db.DeleteMember(ctx, mustMemberByKey(t, db, id, "first")); err != nil {
		t.Fatal(err)
	}
	expires := time.Date(2027, 1, 15, 18, 0, 0, 0, time.UTC)
	notBefore := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	const n = 700 // several of the import's chunks
	ms := make([]memberfile.Member, n)
	for i := range ms {
		ms[i] = member(i+2, 1+i%5, fmt.Sprintf("k%03d", i), fmt.Sprintf("+1212555%04d", i), fmt.Sprintf("+1646555%04d", i))
		ms[i].Variables["score"] = fmt.Sprint((i * 37) % 101)
		ms[i].Timezone = "America/New_York"
		if i%2 == 0 {
			ms[i].ExpiresAt = expires
		}
		if i%3 == 0 {
			ms[i].NotBefore = notBefore
		}
	}
	ms[5].Variables["score"] = "n/a"
	importMembers(t, db, id, ms...)

	got, err := db.Members(ctx, store.MemberFilter{CampaignID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d members, want %d", len(got), n)
	}
	for i, m := range got {
		want := ms[i]
		if m.ExternalKey != want.ExternalKey || m.Priority != want.Priority || m.Name != want.Name || m.Timezone != want.Timezone ||
			!m.ExpiresAt.Equal(want.ExpiresAt) || !m.NotBefore.Equal(want.NotBefore) || m.Variables["score"] != want.Variables["score"] {
			t.Fatalf("member %d = %+v, want %+v", i, m, want)
		}
		if i > 0 && m.ID <= got[i-1].ID {
			t.Fatalf("ids not in the file's order: %d after %d", m.ID, got[i-1].ID)
		}
		if len(m.Communications) != 2 || m.Communications[0].Number != want.Numbers[0].Number ||
			m.Communications[1].Number != want.Numbers[1].Number || m.Communications[1].Position != 2 || m.Communications[0].Type != "mobile" {
			t.Fatalf("numbers of member %d = %+v", i, m.Communications)
		}
	}
	first, err := db.MemberByKey(ctx, id, "k000")
	if err != nil {
		t.Fatal(err)
	}
	if first.ID <= 1 {
		t.Errorf("first imported id %d: the deleted member's id 1 was given out again", first.ID)
	}
	numbers := campaignNumbers(t, db, id)
	if len(numbers) != 2*n || !slices.IsSorted(numbers) {
		t.Fatalf("campaign numbers: %d, sorted %v", len(numbers), slices.IsSorted(numbers))
	}

	// Priority 1, due now: the member whose score is no number first, then
	// by score, highest first.
	due, err := db.DueMembers(ctx, id, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 200)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, d := range due {
		if d.Priority != 1 {
			continue
		}
		m, err := db.Member(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, m.Variables["score"])
	}
	if len(order) < 3 || order[0] != "n/a" {
		t.Fatalf("priority 1 due order %v: the member with no numeric score is not first", order)
	}
	if !slices.IsSortedFunc(order[1:], func(a, b string) int { return atoi(t, b) - atoi(t, a) }) {
		t.Fatalf("priority 1 due order %v: not by score, highest first", order)
	}
}

// A number twice in one import fails it, and nothing of it remains.
func TestImport_NumberTwiceInTheFile(t *testing.T) {
	db, id := openIVR(t)
	ctx := context.Background()
	imp, err := db.BeginImport(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	if _, err := imp.Add(ctx, []memberfile.Member{member(2, 3, "a", "+12125550101"), member(3, 3, "b", "+12125550101")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := imp.Commit(ctx); err == nil || !strings.Contains(err.Error(), "twice in the import") {
		t.Fatalf("commit = %v, want a number twice in the import", err)
	}
	if ms, _ := db.Members(ctx, store.MemberFilter{CampaignID: id}); len(ms) != 0 {
		t.Fatalf("members after the failed import: %d", len(ms))
	}
}

func mustMemberByKey(t *testing.T, db *store.DB, campaignID int64, key string) int64 {
	t.Helper()
	m, err := db.MemberByKey(context.Background(), campaignID, key)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("score %q: %v", s, err)
	}
	return n
}
