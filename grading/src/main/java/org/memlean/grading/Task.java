package org.memlean.grading;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a graded test: the task it belongs to ("task01_2"), what it is worth, and the task's title.
 * Put the same id in a JUnit {@code @Tag} so one task can be run alone with {@code -Dgroups=task01_2}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Task {
    String id();

    int points();

    String title();

    /** Shown under a task once it is answered right: why the answer is what it is (reasoning questions). */
    String explanation() default "";

    /**
     * Shortcuts the exercise code this task runs may not call, beside the ones no task may
     * ({@link ForbiddenCalls}): "org.memlean.tensor.InPlace#relu" (a member) or
     * "org.memlean.tensor.InPlace" (every member of a class).
     */
    String[] forbids() default {};
}
