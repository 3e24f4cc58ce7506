"""Embeddings, FAISS, Japanese lexical search and their fusion into one retriever."""
