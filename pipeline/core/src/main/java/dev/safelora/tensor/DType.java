package dev.safelora.tensor;

import java.util.Locale;

/** Element types of the safetensors format, named as the format spells them. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    /** The dtype string in a safetensors header, e.g. {@code "BF16"}. */
    public String safetensorsName() {
        return name();
    }

    /** True for the types that {@link SafetensorsFile#floats} widens to float. */
    public boolean isFloatingPoint() {
        return this == F32 || this == F16 || this == BF16;
    }

    /**
     * Parses a header dtype string.
     *
     * @throws IllegalArgumentException for a string the format does not define (or this reader does not know)
     */
    public static DType fromSafetensors(String name) {
        if (name != null) {
            for (DType t : values()) {
                if (t.name().equals(name)) {
                    return t;
                }
            }
        }
        throw new IllegalArgumentException("unknown safetensors dtype \"" + name + "\" (known: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
    }

    /** Parses a user-facing dtype name such as {@code f32} or {@code bf16}, case-insensitively. */
    public static DType parseUserName(String name) {
        return fromSafetensors(name == null ? null : name.toUpperCase(Locale.ROOT));
    }
}
