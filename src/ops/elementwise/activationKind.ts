// Which activation an activation op (or a fused epilogue) applies, with its parameters. Its own
// module so that activation.ts and activationGrad.ts can both name it without importing each other.
export type Activation =
  | { readonly kind: 'relu' }
  | { readonly kind: 'sigmoid' }
  | { readonly kind: 'tanh' }
  | { readonly kind: 'leakyRelu'; readonly negativeSlope: number }
  | { readonly kind: 'clip'; readonly min: number; readonly max: number };
