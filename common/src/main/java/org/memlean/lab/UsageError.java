package org.memlean.lab;

/** Bad input on the command line: said in one line, exit code 2, no stack trace. */
public final class UsageError extends RuntimeException {
    public UsageError(String message) {
        super(message);
    }
}
