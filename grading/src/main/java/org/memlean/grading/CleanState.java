package org.memlean.grading;

import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.memlean.lab.FrameworkState;

/**
 * Each graded test starts from the framework's fresh state (grad mode on, no budget, the child's
 * device limit, no open meter or scope, a seeded random stream), and a test whose code leaves that
 * state changed fails, saying what it left — so no task can make another pass or fail. Registered
 * for every graded test by the runner (JUnit's extension auto-detection).
 */
public final class CleanState implements BeforeEachCallback, AfterEachCallback {
    @Override
    public void beforeEach(ExtensionContext context) {
        FrameworkState.reset(GradeRunner.NATIVE_LIMIT, Seeds.forTest(context.getUniqueId()));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<String> dirty = FrameworkState.dirty(GradeRunner.NATIVE_LIMIT);
        FrameworkState.reset(GradeRunner.NATIVE_LIMIT, 0);
        if (!dirty.isEmpty()) {
            throw new AssertionError("your code left the framework changed — " + String.join("; ", dirty)
                    + ". Close what you open (try-with-resources), so the next task starts clean");
        }
    }
}
