package storetest

import (
	"testing"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

func testMeta(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	_, err := s.MetaGet(ctx, "absent")
	isErr(t, "get of an unset name", err, store.ErrNotFound)

	ok(t, s.MetaInsert(ctx, store.MetaServerKeyFingerprint, "first"))
	isErr(t, "second insert", s.MetaInsert(ctx, store.MetaServerKeyFingerprint, "second"), store.ErrConflict)
	got, err := s.MetaGet(ctx, store.MetaServerKeyFingerprint)
	ok(t, err)
	if got != "first" {
		t.Errorf("after a refused insert the value is %q, want first", got)
	}
	// A refused insert inside a transaction leaves the transaction usable.
	ok(t, s.InTx(ctx, func(q store.Querier) error {
		isErr(t, "insert in a transaction", q.MetaInsert(ctx, store.MetaServerKeyFingerprint, "x"), store.ErrConflict)
		return q.MetaSet(ctx, store.MetaServerKeyFingerprint, "replaced")
	}))
	got, err = s.MetaGet(ctx, store.MetaServerKeyFingerprint)
	ok(t, err)
	if got != "replaced" {
		t.Errorf("after MetaSet the value is %q, want replaced", got)
	}
	ok(t, s.MetaSet(ctx, store.MetaWriteProbe, "1"))
	got, err = s.MetaGet(ctx, store.MetaWriteProbe)
	ok(t, err)
	if got != "1" {
		t.Errorf("MetaSet of a new name: got %q", got)
	}
}

func testSealed(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	list, err := s.SealedList(ctx)
	ok(t, err)
	if len(list) != 0 {
		t.Fatalf("empty store lists %d sealed values", len(list))
	}
	ok(t, s.AccessKeyPut(ctx, upgrade.AccessKey{ID: "LTAI-a", AccountID: "acct-1", SecretEnc: []byte("sealed-a"), Active: true, Created: at(0)}))
	ok(t, s.AccessKeyPut(ctx, upgrade.AccessKey{ID: "LTAI-none", AccountID: "acct-1", Active: true, Created: at(0)}))
	live := insertCluster(t, s, "acct-1", "live")
	gone := insertCluster(t, s, "acct-1", "gone")
	gone.State = upgrade.ClusterDeleted
	ok(t, s.ClusterUpdate(ctx, gone))
	plain := newCluster("acct-1", "plain")
	plain.ExecutorConfig = nil
	ok(t, s.ClusterInsert(ctx, plain))

	list, err = s.SealedList(ctx)
	ok(t, err)
	want := map[store.SealedKind]map[string]string{
		store.SealedAccessKeySecret:       {"LTAI-a": "sealed-a"},
		store.SealedClusterExecutorConfig: {live.ID: string(live.ExecutorConfig), gone.ID: string(gone.ExecutorConfig)},
	}
	checkSealed(t, list, want)

	ok(t, s.InTx(ctx, func(q store.Querier) error {
		for _, v := range list {
			v.Value = append([]byte("new-"), v.Value...)
			if err := q.SealedUpdate(ctx, v); err != nil {
				return err
			}
		}
		return nil
	}))
	for _, ids := range want {
		for id, v := range ids {
			ids[id] = "new-" + v
		}
	}
	list, err = s.SealedList(ctx)
	ok(t, err)
	checkSealed(t, list, want)
	k, err := s.AccessKeyGet(ctx, "LTAI-a")
	ok(t, err)
	if string(k.SecretEnc) != "new-sealed-a" {
		t.Errorf("access key secret after SealedUpdate: %q", k.SecretEnc)
	}
	c, err := s.ClusterGet(ctx, "", live.ID)
	ok(t, err)
	if string(c.ExecutorConfig) != "new-"+string(live.ExecutorConfig) {
		t.Errorf("executor config after SealedUpdate: %q", c.ExecutorConfig)
	}
	isErr(t, "update of a missing key", s.SealedUpdate(ctx, store.Sealed{Kind: store.SealedAccessKeySecret, ID: "LTAI-missing", Value: []byte("x")}), store.ErrNotFound)
	isErr(t, "update of a missing cluster", s.SealedUpdate(ctx, store.Sealed{Kind: store.SealedClusterExecutorConfig, ID: "c-missing", Value: []byte("x")}), store.ErrNotFound)
}

func checkSealed(t *testing.T, list []store.Sealed, want map[store.SealedKind]map[string]string) {
	t.Helper()
	n := 0
	for _, ids := range want {
		n += len(ids)
	}
	if len(list) != n {
		t.Errorf("SealedList returned %d values, want %d: %+v", len(list), n, list)
	}
	for _, v := range list {
		if w, found := want[v.Kind][v.ID]; !found || w != string(v.Value) {
			t.Errorf("sealed %s %s = %q, want %q (listed: %v)", v.Kind, v.ID, v.Value, w, found)
		}
	}
}
