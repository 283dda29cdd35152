/**
 * The safety-utility trade-off of one adapter: project it at several settings, evaluate each, and
 * write the curve as JSON and SVG ({@code safelora sweep}).
 */
package dev.safelora.sweep;
