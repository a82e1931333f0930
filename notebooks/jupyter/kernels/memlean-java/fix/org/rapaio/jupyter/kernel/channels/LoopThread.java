package org.rapaio.jupyter.kernel.channels;

/**
 * The course's replacement for rapaio-jupyter-kernel 3.0.1's channel loop thread, put ahead of the
 * kernel's jar on its class path by {@code start-kernel}. The jar's {@code start()} starts the thread
 * and only then sets its running flag, so a thread scheduled at once reads the flag still false and
 * ends: that channel never answers and the kernel's start hangs (about one start in seven here).
 * This one sets the flag first. Same name, constructor and methods as the class it replaces.
 */
public final class LoopThread extends Thread {
    private volatile boolean running;
    private final long sleep;
    private final Runnable loopBody;

    public LoopThread(String name, long sleep, Runnable loopBody) {
        super(name);
        this.sleep = sleep;
        this.loopBody = loopBody;
    }

    @Override
    public void run() {
        while (running) {
            loopBody.run();
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException e) {
                running = false;
                return;
            }
        }
    }

    @Override
    public synchronized void start() {
        running = true;            // before the thread exists: it can never see the flag unset
        super.start();
    }

    public void shutdown() {
        running = false;
    }
}
