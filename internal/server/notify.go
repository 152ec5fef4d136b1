package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ackup/ackup/internal/store"
)

// Wake-ups between replicas. When the store is a store.Notifier
// (PostgreSQL), a change a
// request makes to a task (start, pause, resume, cancel) wakes this
// replica's engine at once and is also sent to the others over
// LISTEN/NOTIFY, because the task's lease may be held by another replica's
// engine. Each engine still polls, so a notification that is lost (queue
// full, connection down) delays the next step by at most a poll interval.

// Queue and deadline of outgoing notifications.
const (
	// notifyQueue bounds the notifications waiting to be sent; beyond it
	// they are dropped rather than holding up the request that made them.
	notifyQueue = 64
	// notifyTimeout bounds one Notify, so a stuck database cannot pile
	// up notifications behind one send.
	notifyTimeout = 5 * time.Second
)

// notifier sends this replica's task wake-ups to the other replicas and
// passes theirs to the local engine.
type notifier struct {
	st     store.Notifier
	local  func(taskID string) // the local engine's Wake
	logger *slog.Logger
	queue  chan string

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newNotifier(st store.Notifier, local func(string), logger *slog.Logger) *notifier {
	return &notifier{st: st, local: local, logger: logger, queue: make(chan string, notifyQueue)}
}

// Wake wakes the local engine and queues a notification for the other
// replicas. It never blocks: when the queue is full the notification is
// dropped and the other replicas' polling finds the change instead.
func (n *notifier) Wake(taskID string) {
	n.local(taskID)
	select {
	case n.queue <- taskID:
	default:
	}
}

// start runs the sender and the listener until stop.
func (n *notifier) start(ctx context.Context) {
	ctx, n.cancel = context.WithCancel(ctx)
	n.wg.Go(func() { n.send(ctx) })
	n.wg.Go(func() {
		// Listen returns only once ctx is done; it reconnects on its own
		// and then wakes the engine for every task ("").
		_ = n.st.Listen(ctx, n.local)
	})
}

// stop ends the sender and the listener and waits for them. Notifications
// still queued are dropped: the tasks they name are found by polling.
func (n *notifier) stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	n.wg.Wait()
}

// send drains the queue, one Notify at a time.
func (n *notifier) send(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-n.queue:
			nctx, cancel := context.WithTimeout(ctx, notifyTimeout)
			err := n.st.Notify(nctx, id)
			cancel()
			if err != nil && ctx.Err() == nil {
				n.logger.Warn("notify other replicas", "task_id", id, "err", err)
			}
		}
	}
}
