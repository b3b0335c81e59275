"""Vocabulary as data: the words of students and of career profiles, in plain files an
operator can read and edit. Nothing here names a profile's own phrases.

    synonyms.txt   students' words → profiles' words (Solr / Elasticsearch format)
    generic.txt    words that carry no topic in a career question ("job", "career")
    shorthand.txt  texting shorthand ("wat" → "what")
    stopwords.txt  English function words
    questions.txt  how students ask about a section, by its heading words

`advisor.vocabulary.synonyms` reads the synonyms files; `files` says where they all are.
"""
