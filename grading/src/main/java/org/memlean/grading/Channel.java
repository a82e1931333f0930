package org.memlean.grading;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The line a graded child reports a result on: {@code @@memlean-result <mac> <payload>}, the payload
 * authenticated with a key the grader gave only the child's runner (over its standard input, read
 * before any exercise code runs). A line an exercise prints — even one that imitates the format —
 * cannot carry a valid code, so it cannot claim a result.
 */
final class Channel {
    static final String MARK = "@@memlean-result ";

    private final Mac mac;

    Channel(String key) {
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** A fresh random key. */
    static String newKey() {
        byte[] bytes = new byte[32];
        new java.security.SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private synchronized String code(String payload) {
        return HexFormat.of().formatHex(mac.doFinal(payload.getBytes(StandardCharsets.UTF_8)));
    }

    /** The line that reports {@code payload} (one line of JSON). */
    String line(String payload) {
        if (payload.indexOf('\n') >= 0) throw new IllegalArgumentException("a payload is one line");
        return MARK + code(payload) + " " + payload;
    }

    /** Whether {@code line} claims to be a result (authentic or not). */
    static boolean claimsResult(String line) {
        return line.contains(MARK.strip());
    }

    /** The payload of an authentic result line, or empty for anything else. */
    Optional<String> payload(String line) {
        if (!line.startsWith(MARK)) return Optional.empty();
        String rest = line.substring(MARK.length());
        int cut = rest.indexOf(' ');
        if (cut < 0) return Optional.empty();
        String given = rest.substring(0, cut);
        String payload = rest.substring(cut + 1);
        boolean authentic = MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                code(payload).getBytes(StandardCharsets.UTF_8));
        return authentic ? Optional.of(payload) : Optional.empty();
    }
}
