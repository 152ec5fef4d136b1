package sqlite

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// statusReader runs GetUpgradeStatus's read (taskStatusLatestSQL) on
// read-only connections of its own, through SQLite's C API as
// modernc.org/sqlite/lib exposes it, instead of through database/sql.
//
// It exists because the status read is what old clients poll, and profiles
// of `ackup bench` showed database/sql and the driver costing as much as
// SQLite's own work on it: about 35 allocations per read (a Rows, a
// watcher per cancelable context, column names copied from C on every
// query), where this path makes one. The connections are opened like the
// reader pool's (WAL, query_only, the same busy timeout), so a status read
// never waits for the writer and sees the last committed write.
type statusReader struct {
	idle   chan *statusConn
	all    []*statusConn
	closed atomic.Bool
}

// errStatusClosed is a status read after Close.
var errStatusClosed = errors.New("sqlite: database is closed")

// statusConn is one connection with the statement prepared. It is used by
// one goroutine at a time: it is taken from statusReader.idle and put back.
type statusConn struct {
	tls  *libc.TLS
	db   uintptr // sqlite3*
	stmt uintptr // sqlite3_stmt*
	// args is C memory holding the bound parameters: they are bound
	// SQLITE_STATIC, so SQLite reads them in place until the statement is
	// reset. Go memory is not used for this (nor for the out parameters of
	// open and prepare), as the checkptr instrumentation of -race rejects
	// C code writing to it through a uintptr.
	args    uintptr
	argsCap int
	// row collects the columns' bytes, made into one string per read.
	row []byte
}

// statusPragmas configure each status connection. Besides query_only, the
// database file is read through a memory map: a connection's page cache is
// emptied whenever another connection has written (WAL mode cannot tell
// which pages changed), so during an engine's writes nearly every status
// read fetches its pages again, and through the map that costs no system
// call (measured: 15% more status reads per second on a database of 3,000
// clusters). Pages read through the map are the OS's page cache: they
// count in the process's resident size as file-backed pages, up to the
// database's size, and the OS may reclaim them.
var statusPragmas = []string{"PRAGMA query_only = 1", "PRAGMA mmap_size = 1073741824"}

// statusColumns is how many columns taskStatusLatestSQL selects.
const statusColumns = 6

func openStatusReader(path string, n int) (*statusReader, error) {
	r := &statusReader{idle: make(chan *statusConn, n)}
	for range n {
		c, err := openStatusConn(path)
		if err != nil {
			r.close()
			return nil, err
		}
		r.all = append(r.all, c)
		r.idle <- c
	}
	return r, nil
}

func openStatusConn(path string) (*statusConn, error) {
	c := &statusConn{tls: libc.NewTLS()}
	// out receives the sqlite3* of open and the sqlite3_stmt* of prepare.
	out := libc.Xmalloc(c.tls, 8)
	if out == 0 {
		c.tls.Close()
		return nil, errStatusNoMemory
	}
	defer libc.Xfree(c.tls, out)
	name, err := libc.CString(path)
	if err != nil {
		c.close()
		return nil, err
	}
	rc := sqlite3.Xsqlite3_open_v2(c.tls, name, out, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	libc.Xfree(c.tls, name)
	c.db = cPointer(out)
	if rc != sqlite3.SQLITE_OK {
		err := c.err("open", rc)
		c.close()
		return nil, err
	}
	sqlite3.Xsqlite3_busy_timeout(c.tls, c.db, busyTimeoutMillis)
	for _, pragma := range statusPragmas {
		if err := c.exec(pragma); err != nil {
			c.close()
			return nil, err
		}
	}
	query, err := libc.CString(taskStatusLatestSQL)
	if err != nil {
		c.close()
		return nil, err
	}
	rc = sqlite3.Xsqlite3_prepare_v3(c.tls, c.db, query, -1, sqlite3.SQLITE_PREPARE_PERSISTENT, out, 0)
	libc.Xfree(c.tls, query)
	if rc != sqlite3.SQLITE_OK {
		err := c.err("prepare", rc)
		c.close()
		return nil, err
	}
	c.stmt = cPointer(out)
	return c, nil
}

// cPointer reads the pointer stored in C memory at p.
func cPointer(p uintptr) uintptr {
	b := libc.GoBytes(p, ptrSize)
	if ptrSize == 4 {
		return uintptr(binary.NativeEndian.Uint32(b))
	}
	return uintptr(binary.NativeEndian.Uint64(b))
}

// ptrSize is the size of a pointer (and of a uintptr, as of an int).
const ptrSize = strconv.IntSize / 8

var errStatusNoMemory = errors.New("sqlite status read: out of memory")

// exec runs a statement without results.
func (c *statusConn) exec(sql string) error {
	s, err := libc.CString(sql)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, s)
	if rc := sqlite3.Xsqlite3_exec(c.tls, c.db, s, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return c.err(sql, rc)
	}
	return nil
}

// err describes the connection's last error.
func (c *statusConn) err(what string, rc int32) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(c.tls, rc))
	if c.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))
	}
	return fmt.Errorf("sqlite status read: %s: %s (%d)", what, msg, rc)
}

// read runs the statement once: the newest task of type typ of the live
// cluster clusterID of accountID ("" matches any account).
func (c *statusConn) read(accountID, clusterID string, typ upgrade.TaskType) (upgrade.Task, bool, error) {
	params := [3]string{clusterID, accountID, string(typ)}
	if n := len(clusterID) + len(accountID) + len(typ); n > c.argsCap {
		libc.Xfree(c.tls, c.args)
		c.argsCap = max(n, 256)
		if c.args = libc.Xmalloc(c.tls, libc.Tsize_t(c.argsCap)); c.args == 0 {
			c.argsCap = 0
			return upgrade.Task{}, false, errStatusNoMemory
		}
	}
	args := libc.GoBytes(c.args, c.argsCap) // a view of the C memory
	off := 0
	for i, p := range params {
		copy(args[off:], p)
		if rc := sqlite3.Xsqlite3_bind_text(c.tls, c.stmt, int32(i+1), c.args+uintptr(off), int32(len(p)), 0); rc != sqlite3.SQLITE_OK {
			return upgrade.Task{}, false, c.err("bind", rc)
		}
		off += len(p)
	}
	defer sqlite3.Xsqlite3_reset(c.tls, c.stmt) // ends the read transaction
	switch rc := sqlite3.Xsqlite3_step(c.tls, c.stmt); rc {
	case sqlite3.SQLITE_ROW:
	case sqlite3.SQLITE_DONE:
		return upgrade.Task{}, false, store.ErrNotFound
	default:
		return upgrade.Task{}, false, c.err("step", rc)
	}
	// One string holds every column; the fields are slices of it.
	var ends [statusColumns]int
	c.row = c.row[:0]
	for i := range ends {
		p := sqlite3.Xsqlite3_column_text(c.tls, c.stmt, int32(i))
		if l := int(sqlite3.Xsqlite3_column_bytes(c.tls, c.stmt, int32(i))); p != 0 && l > 0 {
			c.row = append(c.row, libc.GoBytes(p, l)...) // GoBytes is a view of SQLite's memory, copied here
		}
		ends[i] = len(c.row)
	}
	row := string(c.row)
	col := func(i int) string {
		if i == 0 {
			return row[:ends[0]]
		}
		return row[ends[i-1]:ends[i]]
	}
	if col(0) == "" {
		return upgrade.Task{}, false, nil
	}
	return upgrade.Task{ID: col(0), ClusterID: clusterID, Type: typ, State: upgrade.TaskState(col(1)), Step: col(2),
		Message: col(3), ErrorMessage: col(4), PrecheckID: col(5)}, true, nil
}

// close releases the connection; it is safe on a partly opened one.
func (c *statusConn) close() error {
	var err error
	if c.stmt != 0 {
		sqlite3.Xsqlite3_finalize(c.tls, c.stmt)
	}
	if c.db != 0 {
		if rc := sqlite3.Xsqlite3_close_v2(c.tls, c.db); rc != sqlite3.SQLITE_OK {
			err = fmt.Errorf("sqlite status read: close: %d", rc)
		}
	}
	libc.Xfree(c.tls, c.args)
	c.tls.Close()
	return err
}

// read takes an idle connection (waiting while all are busy, as the
// reader pool does), runs the statement and puts the connection back. The
// statement runs to completion once started: it is one indexed lookup.
func (r *statusReader) read(ctx context.Context, accountID, clusterID string, typ upgrade.TaskType) (upgrade.Task, bool, error) {
	if r.closed.Load() {
		return upgrade.Task{}, false, errStatusClosed
	}
	var c *statusConn
	select {
	case c = <-r.idle:
	default:
		select {
		case c = <-r.idle:
		case <-ctx.Done():
			return upgrade.Task{}, false, ctx.Err()
		}
	}
	if c == nil { // closed while waiting
		return upgrade.Task{}, false, errStatusClosed
	}
	defer func() { r.idle <- c }()
	return c.read(accountID, clusterID, typ)
}

// close waits for the reads in progress, closes every connection, and
// makes later reads fail.
func (r *statusReader) close() error {
	if r.closed.Swap(true) {
		return nil
	}
	var errs []error
	for range r.all {
		errs = append(errs, (<-r.idle).close())
	}
	close(r.idle)
	r.all = nil
	return errors.Join(errs...)
}
