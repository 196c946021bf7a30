package fakeclock

import (
	"context"
	"testing"
	"time"
)

func TestAdvanceFiresTimersInOrder(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(start)
	late, _ := c.NewTimer(2 * time.Hour)
	early, _ := c.NewTimer(time.Hour)
	never, stop := c.NewTimer(90 * time.Minute)
	if !stop() {
		t.Fatal("stop() = false for a waiting timer; want true")
	}
	c.Advance(3 * time.Hour)
	if got := <-early; !got.Equal(start.Add(time.Hour)) {
		t.Errorf("early fired at %v; want %v", got, start.Add(time.Hour))
	}
	if got := <-late; !got.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("late fired at %v; want %v", got, start.Add(2*time.Hour))
	}
	select {
	case <-never:
		t.Error("a stopped timer fired")
	default:
	}
	if got := c.Now(); !got.Equal(start.Add(3 * time.Hour)) {
		t.Errorf("Now() = %v; want %v", got, start.Add(3*time.Hour))
	}
}

func TestBlockUntil(t *testing.T) {
	c := New(time.Unix(0, 0))
	done := make(chan error, 1)
	go func() { done <- c.BlockUntil(context.Background(), 1) }()
	ch, _ := c.NewTimer(time.Second)
	if err := <-done; err != nil {
		t.Fatalf("BlockUntil = %v", err)
	}
	c.Advance(time.Second)
	<-ch
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.BlockUntil(ctx, 1); err == nil {
		t.Error("BlockUntil with a cancelled ctx and no timers = nil; want an error")
	}
}
