package dev.safelora.registry.server;

/** A REST error answer: HTTP status plus Confluent's error code and message. */
final class RestError extends RuntimeException {

    // Confluent Schema Registry's error codes (its REST API reference).
    static final int UNAUTHORIZED = 40101;
    static final int SUBJECT_NOT_FOUND = 40401;
    static final int VERSION_NOT_FOUND = 40402;
    static final int SCHEMA_NOT_FOUND = 40403;
    static final int SUBJECT_SOFT_DELETED = 40404;
    static final int SUBJECT_NOT_SOFT_DELETED = 40405;
    static final int VERSION_SOFT_DELETED = 40406;
    static final int VERSION_NOT_SOFT_DELETED = 40407;
    static final int SUBJECT_CONFIG_NOT_FOUND = 40408;
    static final int SUBJECT_MODE_NOT_FOUND = 40409;
    static final int OPERATION_NOT_PERMITTED = 42205;
    static final int REFERENCE_EXISTS = 42206;
    static final int INVALID_MODE = 42204;
    static final int INCOMPATIBLE_SCHEMA = 409;
    static final int INVALID_SCHEMA = 42201;
    static final int INVALID_VERSION = 42202;
    static final int INVALID_COMPATIBILITY_LEVEL = 42203;
    static final int STORE_ERROR = 50001;

    final int status;
    final int code;

    RestError(int status, int code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }
}
