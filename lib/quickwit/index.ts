export * from './quickwit';
