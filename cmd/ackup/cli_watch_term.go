package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// termWidthCap keeps the live view readable on very wide terminals;
// poolTextWidth aligns the bars by giving the text after them a fixed width.
const (
	termWidthCap  = 100
	poolTextWidth = 24
)

// termRenderer is the live view on a terminal: a header, the stage, one
// progress bar per node pool, the nodes in flight and what blocks them,
// redrawn in place by mpb.
type termRenderer struct {
	w     io.Writer
	p     *mpb.Progress
	mu    sync.Mutex
	snap  snapshot
	text  []*mpb.Bar          // header, stage, flight, blocker lines
	bars  map[string]*mpb.Bar // by pool id
	ready bool
}

func newTermRenderer(w io.Writer, width int) *termRenderer {
	return &termRenderer{w: w, bars: map[string]*mpb.Bar{},
		p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(min(width, termWidthCap)), mpb.WithRefreshRate(150*time.Millisecond))}
}

// textLine adds a line whose text fn computes at each redraw.
func (r *termRenderer) textLine(fn func(s *snapshot) string) {
	b := r.p.New(0, mpb.NopStyle(), mpb.BarFillerTrim(), mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
		r.mu.Lock()
		defer r.mu.Unlock()
		return fn(&r.snap)
	})))
	r.text = append(r.text, b)
}

// build lays out the view once the first snapshot tells the pools.
func (r *termRenderer) build(s snapshot) {
	r.textLine(func(s *snapshot) string {
		return fmt.Sprintf("Upgrading %s to %s", s.subject(), cmpOrDash(s.Target))
	})
	r.textLine(func(s *snapshot) string {
		elapsed := ""
		if !s.Started.IsZero() {
			elapsed = "  elapsed " + formatDuration(time.Since(s.Started))
		}
		return fmt.Sprintf("Task %s  stage %s (%s)%s", s.TaskID, cmpOrDash(s.Stage), s.State, elapsed)
	})
	nameWidth := 0
	for _, p := range s.Pools {
		nameWidth = max(nameWidth, len(p.Name))
	}
	for _, p := range s.Pools {
		id := p.ID
		r.bars[id] = r.p.New(int64(p.Total),
			mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding("-").Rbound("]"),
			mpb.PrependDecorators(decor.Name(p.Name, decor.WC{W: nameWidth + 1, C: decor.DindentRight})),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
				r.mu.Lock()
				defer r.mu.Unlock()
				return r.poolText(id)
			}, decor.WC{W: poolTextWidth, C: decor.DindentRight})))
	}
	if len(s.Pools) == 0 {
		r.textLine(func(*snapshot) string { return "(no node pool is upgraded by this task)" })
	}
	r.textLine(func(s *snapshot) string {
		if len(s.InFlight) == 0 {
			return "In flight: -"
		}
		return "In flight: " + s.inFlightText()
	})
	r.textLine(func(s *snapshot) string {
		switch {
		case s.Blocker != "":
			return "Blocked: " + s.Blocker
		case s.State == "paused":
			return "Paused: resume with 'ackup upgrade resume " + s.ClusterID + "'"
		}
		return ""
	})
	r.ready = true
}

// poolText is the counter and ETA after a pool's bar.
func (r *termRenderer) poolText(id string) string {
	for _, p := range r.snap.Pools {
		if p.ID != id {
			continue
		}
		text := fmt.Sprintf("%d/%d nodes", p.Upgraded, p.Total)
		switch eta, ok := p.eta(time.Now()); {
		case p.State == "done":
			text += "  done"
		case ok && p.State == "upgrading":
			text += "  ETA " + formatDuration(eta)
		case ok:
			text += "  ETA ~" + formatDuration(eta)
		}
		return text
	}
	return ""
}

func (r *termRenderer) update(s snapshot) {
	r.mu.Lock()
	r.snap = s
	r.mu.Unlock()
	if !r.ready {
		r.build(s)
	}
	for _, p := range s.Pools {
		if b := r.bars[p.ID]; b != nil {
			b.SetCurrent(int64(min(p.Upgraded, p.Total)))
		}
	}
}

func (r *termRenderer) finish(s snapshot, interrupted bool) {
	if s.TaskID != "" {
		r.update(s)
	}
	for _, b := range r.bars {
		if s.State == "success" {
			b.SetTotal(-1, true)
		} else {
			b.Abort(false)
		}
	}
	for _, b := range r.text {
		b.SetTotal(-1, true)
	}
	r.p.Wait()
	if !interrupted && s.TaskID != "" {
		fmt.Fprintf(r.w, "%s %s\n", time.Now().Format(time.TimeOnly), s.line(time.Time{}))
	}
}
