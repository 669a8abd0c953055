package engine

import (
	"context"
	"sync"
)

// parallel calls fn for every index in [0, n) on at most workers goroutines and waits. It stops
// handing out work once ctx ends.
func parallel(ctx context.Context, workers, n int, fn func(i int)) {
	if workers < 1 {
		workers = 1
	}
	if workers > n {
		workers = n
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
